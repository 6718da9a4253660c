#!/usr/bin/python3
"""A real RTSP server for the tests (GStreamer's gst-rtsp-server).

Usage: rtsp_server.py PORT [USER PASSWORD] [--fps N] [--size WIDTHxHEIGHT] [--file CLIP.mp4] [--mounts N]
Serves a live H.264 test pattern (default 320x240 at 25 fps, a keyframe every second) at
rtsp://127.0.0.1:PORT/test, or with --file an H.264 MP4 as it is (no transcoding: a camera that costs the
server almost nothing), each client from the start, in real time. With --mounts N it also serves N cameras
from this one process at /cam1 ... /camN (each the same source, a pipeline of its own), so a benchmark of N
cameras does not start N servers. With USER and PASSWORD the stream requires HTTP basic authentication.
Prints "ready" once listening.
"""
import argparse
import re
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def frame_size(text):
    match = re.fullmatch(r"(\d+)x(\d+)", text)
    if not match:
        raise argparse.ArgumentTypeError("expected WIDTHxHEIGHT, e.g. 320x240")
    return int(match.group(1)), int(match.group(2))


def parse_arguments():
    parser = argparse.ArgumentParser(description="Serve a live H.264 test pattern over RTSP.")
    parser.add_argument("port")
    parser.add_argument("user", nargs="?")
    parser.add_argument("password", nargs="?")
    parser.add_argument("--fps", type=int, default=25, help="frames per second (default 25)")
    parser.add_argument("--size", type=frame_size, default=(320, 240), help="WIDTHxHEIGHT (default 320x240)")
    parser.add_argument("--file", help="serve this H.264 MP4 without transcoding instead of the test pattern")
    parser.add_argument("--mounts", type=int, default=0, help="also serve /cam1 ... /camN (default none)")
    arguments = parser.parse_args()
    if (arguments.user is None) != (arguments.password is None):
        parser.error("give both USER and PASSWORD, or neither")
    if arguments.fps < 1:
        parser.error("--fps must be at least 1")
    if arguments.mounts < 0:
        parser.error("--mounts must not be negative")
    return arguments


def require_basic_authentication(server, factory, user, password):
    auth = GstRtspServer.RTSPAuth()
    token = GstRtspServer.RTSPToken()
    token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, "viewer")
    auth.add_basic(GstRtspServer.RTSPAuth.make_basic(user, password), token)
    server.set_auth(auth)
    permissions = GstRtspServer.RTSPPermissions()
    permissions.add_role_from_structure(
        Gst.Structure.new_from_string("viewer, media.factory.access=(boolean)true, media.factory.construct=(boolean)true")
    )
    factory.set_permissions(permissions)


def main():
    arguments = parse_arguments()
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(arguments.port)
    width, height = arguments.size
    mounts = server.get_mount_points()
    for path in ["/test"] + [f"/cam{index}" for index in range(1, arguments.mounts + 1)]:
        factory = GstRtspServer.RTSPMediaFactory()
        if arguments.file:
            factory.set_launch(
                f'( filesrc location="{arguments.file}" ! qtdemux ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=1 )'
            )
        else:
            factory.set_launch(
                f"( videotestsrc is-live=true pattern=ball ! video/x-raw,width={width},height={height},framerate={arguments.fps}/1 "
                f"! x264enc tune=zerolatency speed-preset=ultrafast key-int-max={arguments.fps} "
                "! rtph264pay name=pay0 pt=96 config-interval=1 )"
            )
            factory.set_shared(True)
        if arguments.user is not None:
            require_basic_authentication(server, factory, arguments.user, arguments.password)
        mounts.add_factory(path, factory)
    if server.attach(None) == 0:
        print("cannot listen on port " + arguments.port, flush=True)
        sys.exit(1)
    print("ready", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
