#!/usr/bin/env python3
"""A loopback SMTP server for the mail benchmark: accepts every message and throws it away,
counting them. Speaks just enough SMTP for lettre (EHLO/HELO, MAIL, RCPT, DATA, RSET, NOOP, QUIT).

    bench/smtp_sink.py PORT COUNT_FILE   # writes the number of messages received to COUNT_FILE
"""
import asyncio
import sys

received = 0


async def session(reader, writer):
    global received
    writer.write(b"220 bench-sink ESMTP\r\n")
    await writer.drain()
    while True:
        line = await reader.readline()
        if not line:
            break
        verb = line[:4].upper()
        if verb == b"EHLO":
            writer.write(b"250-bench-sink\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
        elif verb == b"DATA":
            writer.write(b"354 go ahead\r\n")
            await writer.drain()
            while True:
                data = await reader.readline()
                if not data or data == b".\r\n":
                    break
            received += 1
            writer.write(b"250 accepted\r\n")
        elif verb == b"QUIT":
            writer.write(b"221 bye\r\n")
            await writer.drain()
            break
        else:  # HELO, MAIL, RCPT, RSET, NOOP
            writer.write(b"250 ok\r\n")
        await writer.drain()
    writer.close()


async def report(path):
    while True:
        with open(path, "w") as f:
            f.write(str(received))
        await asyncio.sleep(0.2)


async def main(port, path):
    server = await asyncio.start_server(session, "127.0.0.1", port)
    async with server:
        await asyncio.gather(server.serve_forever(), report(path))


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]), sys.argv[2]))
