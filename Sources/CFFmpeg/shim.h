#ifndef FRAMEWISE_CFFMPEG_SHIM_H
#define FRAMEWISE_CFFMPEG_SHIM_H
#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libswscale/swscale.h>
#include <libavutil/avutil.h>
#include <libavutil/imgutils.h>
#include <libavutil/pixdesc.h>
#include <libavutil/error.h>
#include <libavutil/dict.h>
#include <libavutil/opt.h>

/* AVERROR_EOF and AVERROR(e) are macros Swift cannot import. */
static inline int framewise_averror_eof(void) { return AVERROR_EOF; }
static inline int framewise_averror(int errnum) { return AVERROR(errnum); }

/* Error tags and constants the decoder classifies or uses (FFERRTAG/AV_NOPTS_VALUE are macros too). */
static inline int framewise_averror_invaliddata(void) { return AVERROR_INVALIDDATA; }
static inline int framewise_averror_exit(void) { return AVERROR_EXIT; }
static inline int framewise_averror_protocol_not_found(void) { return AVERROR_PROTOCOL_NOT_FOUND; }
static inline int framewise_averror_decoder_not_found(void) { return AVERROR_DECODER_NOT_FOUND; }
static inline int framewise_averror_stream_not_found(void) { return AVERROR_STREAM_NOT_FOUND; }
static inline int framewise_averror_http_unauthorized(void) { return AVERROR_HTTP_UNAUTHORIZED; }
static inline int framewise_averror_http_forbidden(void) { return AVERROR_HTTP_FORBIDDEN; }
static inline int framewise_averror_http_not_found(void) { return AVERROR_HTTP_NOT_FOUND; }
static inline int64_t framewise_nopts_value(void) { return AV_NOPTS_VALUE; }
#endif
