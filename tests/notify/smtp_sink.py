#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-only
"""A real SMTP server for the mail tests (aiosmtpd): every message it accepts is parsed
with Python's email module and written to FOLDER as NAME.json (envelope, every header as
received, the text body decoded) next to NAME.eml (the raw bytes), each atomically.

usage: smtp_sink.py HOST PORT FOLDER      prints "ready" once it listens; stops on SIGTERM
"""
import email
import email.policy
import json
import os
import signal
import sys
import threading
import time

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, folder):
        self.folder = folder
        self.count = 0

    def write(self, name, data):
        tmp = os.path.join(self.folder, name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(data)
        os.rename(tmp, os.path.join(self.folder, name))

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        name = "%d-%06d" % (time.time_ns(), self.count)
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.compat32)
        bodies = []
        for part in message.walk():
            if part.get_content_type() == "text/plain":
                bodies.append(part.get_payload(decode=True).decode("utf-8", "replace"))
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": list(envelope.rcpt_tos),
            "headers": [[k, str(v)] for k, v in message.items()],
            "body": "".join(bodies),
            "defects": [str(d) for d in message.defects],
        }
        self.write(name + ".eml", raw)
        self.write(name + ".json", json.dumps(record).encode())
        return "250 OK"


def main():
    host, port, folder = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    os.makedirs(folder, exist_ok=True)
    controller = Controller(Sink(folder), hostname=host, port=port)
    controller.start()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    print("ready", flush=True)
    done.wait()
    controller.stop()


if __name__ == "__main__":
    main()
