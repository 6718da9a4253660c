-- Framewise label store, version 6: nothing changes on SQLite. The PostgreSQL step of this number
-- (postgresql/0006_label_writes.sql) replaces the row-by-row foreign-key checks on `labels` there, whose
-- locking lookups cost more than half of a batch's time; SQLite's checks are plain index lookups and stay.
SELECT 1;
