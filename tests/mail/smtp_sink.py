#!/usr/bin/env python3
"""A small SMTP server for the mail tests; Python 3.11 standard library only.

Listens on 127.0.0.1, prints its port on stdout once ready, and writes each
accepted message to OUTDIR as <n>.eml (the DATA content, dot-unstuffed, byte
for byte) plus <n>.json (envelope, login, TLS, and subject, text and defects
as Python's email package reads the message). Every command verb received is
appended to OUTDIR/commands.log (verbs only, never arguments).

Supports EHLO/HELO, STARTTLS (with --cert/--key), implicit TLS (--implicit-tls),
AUTH PLAIN and LOGIN (required for MAIL when --user is given), MAIL, RCPT,
DATA, RSET, NOOP, QUIT. --fail VERB:CODE:N answers CODE to the next N
commands VERB (MAIL, RCPT, DATA, or BODY for the reply after the data);
several --fail for one verb apply one after the other.
--stall accepts connections and never answers. Exits on SIGTERM or after
--lifetime seconds.
"""

import argparse
import asyncio
import base64
import binascii
import email
import email.policy
import json
import os
import ssl
import sys

MAX_LINE = 1 << 20


def independent_reading(data):
    """Subject, text and defects as Python's email package reads the message."""
    try:
        msg = email.message_from_bytes(data, policy=email.policy.default)
        defects = [repr(d) for d in msg.defects]
        for name in msg.keys():
            defects += [f"{name}: {d!r}" for d in msg[name].defects]
        return {"subject": str(msg["subject"]), "text": msg.get_content(), "defects": defects}
    except Exception as e:  # noqa: BLE001 - reported to the test instead
        return {"subject": None, "text": None, "defects": [repr(e)]}


class Sink:
    def __init__(self, args):
        self.args = args
        self.failures = {}  # verb -> queue of [code, remaining], used in order
        for spec in args.fail:
            verb, code, count = spec.split(":")
            self.failures.setdefault(verb.upper(), []).append([int(code), int(count)])
        self.count = 0
        self.tls = None
        if args.cert:
            self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls.load_cert_chain(args.cert, args.key)
        self.mechanisms = [m.upper() for m in args.mechanisms.split(",") if m]

    def failure(self, verb):
        """The forced reply code for this verb, if one is still due."""
        queue = self.failures.get(verb, [])
        while queue and queue[0][1] <= 0:
            queue.pop(0)
        if not queue:
            return None
        queue[0][1] -= 1
        return queue[0][0]

    def log(self, verb):
        with open(os.path.join(self.args.outdir, "commands.log"), "a") as f:
            f.write(verb + "\n")

    def store(self, data, session):
        self.count += 1
        base = os.path.join(self.args.outdir, str(self.count))
        envelope = {
            "mail_from": session.mail_from,
            "rcpt_to": session.rcpt_to,
            "auth_user": session.user,
            "auth_mechanism": session.mechanism,
            "tls": session.tls,
        }
        envelope.update(independent_reading(data))
        for suffix, content, mode in ((".json", json.dumps(envelope), "w"),
                                      (".eml", data, "wb")):
            with open(base + suffix + ".tmp", mode) as f:
                f.write(content)
            os.replace(base + suffix + ".tmp", base + suffix)

    async def handle(self, reader, writer):
        if self.args.stall:
            await reader.read()  # until the client gives up
            writer.close()
            return
        session = Session(self, reader, writer, implicit_tls=self.args.implicit_tls)
        try:
            await session.run()
        except (ConnectionError, asyncio.IncompleteReadError, asyncio.LimitOverrunError,
                ssl.SSLError, ValueError):
            pass
        finally:
            writer.close()


class Session:
    def __init__(self, sink, reader, writer, implicit_tls):
        self.sink, self.reader, self.writer = sink, reader, writer
        self.tls = implicit_tls
        self.user = None
        self.mechanism = None
        self.reset()

    def reset(self):
        self.mail_from = None
        self.rcpt_to = []

    async def reply(self, *lines):
        for i, line in enumerate(lines):
            sep = " " if i == len(lines) - 1 else "-"
            self.writer.write(f"{line[:3]}{sep}{line[4:]}\r\n".encode())
        await self.writer.drain()

    async def line(self):
        data = await self.reader.readuntil(b"\n")
        return data.rstrip(b"\r\n")

    async def run(self):
        await self.reply("220 sink ESMTP ready")
        while True:
            raw = await self.line()
            text = raw.decode("utf-8", "replace")
            verb, _, arg = text.partition(" ")
            verb = verb.upper()
            self.sink.log(verb)
            handler = getattr(self, "do_" + verb, None)
            if handler is None:
                await self.reply("502 5.5.2 command not recognized")
            elif await handler(arg) is False:
                return

    async def do_EHLO(self, arg):
        lines = ["250 sink greets " + (arg or "you")]
        if self.sink.tls and not self.tls:
            lines.append("250 STARTTLS")
        if self.sink.args.user and self.sink.mechanisms:
            lines.append("250 AUTH " + " ".join(self.sink.mechanisms))
        lines.append("250 8BITMIME")
        self.reset()
        await self.reply(*lines)

    async def do_HELO(self, arg):
        self.reset()
        await self.reply("250 sink")

    async def do_STARTTLS(self, arg):
        if not self.sink.tls or self.tls:
            await self.reply("454 4.7.0 TLS not available")
            return
        await self.reply("220 2.0.0 go ahead")
        await self.writer.start_tls(self.sink.tls)
        # RFC 3207: forget everything learnt before the handshake.
        self.tls = True
        self.user = self.mechanism = None
        self.reset()

    async def do_AUTH(self, arg):
        args = self.sink.args
        mechanism, _, initial = arg.partition(" ")
        mechanism = mechanism.upper()
        if not args.user or mechanism not in self.sink.mechanisms:
            await self.reply("504 5.5.4 mechanism not supported")
            return
        if self.user:
            await self.reply("503 5.5.1 already authenticated")
            return
        try:
            if mechanism == "PLAIN":
                if not initial:
                    await self.reply("334 ")
                    initial = (await self.line()).decode()
                _, user, password = base64.b64decode(initial, validate=True).split(b"\0")
            else:  # LOGIN
                if initial:
                    user = base64.b64decode(initial, validate=True)
                else:
                    await self.reply("334 VXNlcm5hbWU6")
                    user = base64.b64decode(await self.line(), validate=True)
                await self.reply("334 UGFzc3dvcmQ6")
                password = base64.b64decode(await self.line(), validate=True)
        except (binascii.Error, ValueError):
            await self.reply("501 5.5.2 cannot decode")
            return
        if user.decode() == args.user and password.decode() == args.password:
            self.user, self.mechanism = user.decode(), mechanism
            await self.reply("235 2.7.0 authenticated")
        else:
            await self.reply("535 5.7.8 authentication credentials invalid")

    async def do_MAIL(self, arg):
        if code := self.sink.failure("MAIL"):
            await self.reply(f"{code} forced failure")
            return
        if self.sink.args.user and not self.user:
            await self.reply("530 5.7.0 authentication required")
            return
        if not arg.upper().startswith("FROM:"):
            await self.reply("501 5.5.4 syntax: MAIL FROM:<address>")
            return
        self.reset()
        self.mail_from = arg[5:].strip().split(" ")[0].strip("<>")
        await self.reply("250 2.1.0 ok")

    async def do_RCPT(self, arg):
        if self.mail_from is None:
            await self.reply("503 5.5.1 need MAIL first")
            return
        if code := self.sink.failure("RCPT"):
            await self.reply(f"{code} forced failure")
            return
        self.rcpt_to.append(arg[3:].strip().strip("<>"))
        await self.reply("250 2.1.5 ok")

    async def do_DATA(self, arg):
        if not self.rcpt_to:
            await self.reply("503 5.5.1 need RCPT first")
            return
        if code := self.sink.failure("DATA"):
            await self.reply(f"{code} forced failure")
            return
        await self.reply("354 end data with <CRLF>.<CRLF>")
        data = bytearray()
        while True:
            chunk = await self.reader.readuntil(b"\n")
            if chunk == b".\r\n":
                break
            if chunk.startswith(b"."):
                chunk = chunk[1:]  # RFC 5321 4.5.2 transparency
            data += chunk
        if code := self.sink.failure("BODY"):
            await self.reply(f"{code} forced failure")
        else:
            self.sink.store(bytes(data), self)
            await self.reply("250 2.0.0 queued")
        self.reset()

    async def do_RSET(self, arg):
        self.reset()
        await self.reply("250 2.0.0 ok")

    async def do_NOOP(self, arg):
        await self.reply("250 2.0.0 ok")

    async def do_QUIT(self, arg):
        await self.reply("221 2.0.0 bye")
        return False


async def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("outdir")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--user")
    parser.add_argument("--password")
    parser.add_argument("--mechanisms", default="PLAIN,LOGIN")
    parser.add_argument("--cert")
    parser.add_argument("--key")
    parser.add_argument("--implicit-tls", action="store_true")
    parser.add_argument("--fail", action="append", default=[], metavar="VERB:CODE:N")
    parser.add_argument("--stall", action="store_true")
    parser.add_argument("--lifetime", type=float, default=60.0)
    args = parser.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    sink = Sink(args)
    # Failed handshakes and dropped clients are part of the tests: stay quiet.
    asyncio.get_running_loop().set_exception_handler(lambda loop, context: None)
    server = await asyncio.start_server(
        sink.handle, "127.0.0.1", args.port, limit=MAX_LINE,
        ssl=sink.tls if args.implicit_tls else None, reuse_address=True)
    print(server.sockets[0].getsockname()[1], flush=True)
    async with server:
        # A backstop: the test kills the sink, but never let one linger.
        await asyncio.sleep(args.lifetime)


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
