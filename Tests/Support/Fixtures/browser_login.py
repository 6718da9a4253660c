#!/usr/bin/python3
"""A browser logs in to `framewise serve` by its form, as a person would, through Chromium's DevTools protocol
over --remote-debugging-pipe (fd 3: commands in, fd 4: answers out, each JSON message ended by a NUL byte).

Arguments: CHROMIUM PROFILE_DIR BASE_URL TOKEN. Prints one JSON object of what the browser saw: where it
landed at each step, whether the page showed, the cookies it keeps (DevTools' view, with httpOnly and
sameSite) and what a script of the page can read of them. The test judges; this only looks."""
import json
import os
import subprocess
import sys
import time

chromium, profile, base, token = sys.argv[1:5]

commands_read, commands_write = os.pipe()
answers_read, answers_write = os.pipe()
# Out of the way of 3 and 4 (the pipes may be there), closed on exec like the pipes: only 3 and 4 reach the browser.
commands_child = os.dup2(commands_read, 100, inheritable=False)
answers_child = os.dup2(answers_write, 101, inheritable=False)


def onto_three_and_four():
    os.dup2(commands_child, 3)
    os.dup2(answers_child, 4)


browser = subprocess.Popen(
    [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--user-data-dir=" + profile,
     "--proxy-server=127.0.0.1:9", "--remote-debugging-pipe", "about:blank"],
    close_fds=False, preexec_fn=onto_three_and_four,
    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
for fd in (commands_read, answers_write, commands_child, answers_child):
    os.close(fd)

class DevToolsError(Exception):
    """A command the browser answered with an error (evaluating in a page being left, say)."""


next_id = 0
pending = b""


def call(method, params=None, session=None):
    """Sends one command and returns its result (events that arrive meanwhile are not needed)."""
    global next_id, pending
    next_id += 1
    message = {"id": next_id, "method": method, "params": params or {}}
    if session:
        message["sessionId"] = session
    os.write(commands_write, json.dumps(message).encode() + b"\0")
    while True:
        while b"\0" not in pending:
            chunk = os.read(answers_read, 65536)
            if not chunk:
                raise SystemExit("the browser closed its pipe")
            pending += chunk
        raw, pending = pending.split(b"\0", 1)
        answer = json.loads(raw)
        if answer.get("id") == next_id:
            if "error" in answer:
                raise DevToolsError(f"{method}: {answer['error']}")
            return answer["result"]


def evaluate(session, expression):
    result = call("Runtime.evaluate", {"expression": expression, "returnByValue": True}, session)
    return result["result"].get("value")


def leave(session, action):
    """Marks the document, then does `action` (a JavaScript expression), which leaves it for another."""
    evaluate(session, "window.framewiseLeft = true")
    evaluate(session, action + "; true")


def settle(session, timeout=20):
    """Waits until a new document (not the one `leave` marked) has loaded and is the daemon's page or its login
    form; returns its path."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        ready = f"!window.framewiseLeft && document.readyState === 'complete' && location.href !== 'about:blank' && ({LANDED})"
        try:
            if evaluate(session, ready):
                return evaluate(session, "location.pathname")
        except DevToolsError:
            pass  # the old document went while being asked
        time.sleep(0.1)
    return "timed out at " + str(evaluate(session, "location.href"))


# A page of the daemon or its login form has loaded.
LANDED = "document.getElementById('streams') !== null || document.getElementById('token') !== null"

try:
    target = call("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = call("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    seen = {}
    leave(session, f"location.href = {json.dumps(base + '/')}")
    seen["first_stop"] = settle(session)
    leave(session, f"document.getElementById('token').value = {json.dumps(token)};"
                   "document.getElementById('login').requestSubmit()")
    seen["after_login"] = settle(session)
    seen["page_has_streams"] = evaluate(session, "document.getElementById('streams') !== null")
    seen["script_sees_cookie"] = evaluate(session, "document.cookie")
    seen["cookies"] = call("Network.getCookies", {"urls": [base + "/"]}, session)["cookies"]
    leave(session, f"location.href = {json.dumps(base + '/')}")
    seen["reloaded"] = settle(session)
    leave(session, "document.querySelector('form.post button').click()")
    seen["after_logout"] = settle(session)
    leave(session, f"location.href = {json.dumps(base + '/')}")
    seen["after_logout_reload"] = settle(session)
    print(json.dumps(seen))
finally:
    try:
        call("Browser.close")
    except (DevToolsError, SystemExit):
        pass
    browser.wait(timeout=20)
