#!/usr/bin/python3
"""A TCP proxy in front of an RTSP server whose media can be shut off while the server still answers, like a
camera whose encoder hangs: RTSP requests and responses always pass; RTP/RTCP interleaved in the TCP connection
('$', channel, 2-byte length, payload) is dropped while the valve is shut. SIGUSR1 shuts it, SIGUSR2 opens it,
for every connection, open or new. Clients must use RTSP over TCP.
Usage: rtsp_media_valve.py LISTEN_PORT TARGET_PORT; prints "ready" when it listens."""
import os
import signal
import socket
import sys
import threading
import time

shut = threading.Event()


def shut_down(*connections):
    """Ends both directions of each connection (the other copier then ends too)."""
    for connection in connections:
        try:
            connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def copy_requests(source, destination):
    """Client to server: everything, as it comes."""
    try:
        while data := source.recv(65536):
            destination.sendall(data)
    except OSError:
        pass
    finally:
        shut_down(source, destination)


def copy_responses(source, destination):
    """Server to client, message by message: interleaved media is dropped while the valve is shut."""
    pending = b""
    try:
        while data := source.recv(65536):
            pending += data
            while pending:
                if pending[0:1] == b"$":
                    if len(pending) < 4:
                        break
                    end = 4 + int.from_bytes(pending[2:4], "big")
                else:
                    head = pending.find(b"\r\n\r\n")
                    if head < 0:
                        break
                    length = 0
                    for line in pending[:head].split(b"\r\n"):
                        name, _, value = line.partition(b":")
                        if name.strip().lower() == b"content-length":
                            length = int(value.strip())
                    end = head + 4 + length
                if len(pending) < end:
                    break
                message, pending = pending[:end], pending[end:]
                if not (message[0:1] == b"$" and shut.is_set()):
                    destination.sendall(message)
    except OSError:
        pass
    finally:
        shut_down(source, destination)


def exit_with_parent():
    """Ends this process once the test process that started it is gone (it may exit without stopping us)."""
    parent = os.getppid()
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def main():
    listen_port, target_port = int(sys.argv[1]), int(sys.argv[2])
    threading.Thread(target=exit_with_parent, daemon=True).start()
    signal.signal(signal.SIGUSR1, lambda *_: shut.set())
    signal.signal(signal.SIGUSR2, lambda *_: shut.clear())
    # A test runner's thread may have started this process with the signals blocked.
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGUSR1, signal.SIGUSR2})
    listener = socket.create_server(("127.0.0.1", listen_port))
    print("ready", flush=True)
    while True:
        client, _ = listener.accept()
        try:
            server = socket.create_connection(("127.0.0.1", target_port))
        except OSError:
            client.close()
            continue
        threading.Thread(target=copy_requests, args=(client, server), daemon=True).start()
        threading.Thread(target=copy_responses, args=(server, client), daemon=True).start()


main()
