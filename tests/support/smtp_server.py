#!/usr/bin/python3
"""A local SMTP server for the e-mail sink tests (aiosmtpd, Debian python3-aiosmtpd).

Listens on 127.0.0.1:PORT, offers STARTTLS with the given certificate and requires it, and
requires AUTH (PLAIN/LOGIN) with USER/PASSWORD after STARTTLS. Each accepted message is written
to DIR/<n>.eml with the envelope in X-Envelope-From / X-Envelope-To lines on top. A recipient
whose local part is "refuse" gets 550. Prints "ready" once listening; stops on SIGTERM.

usage: smtp_server.py PORT CERT KEY DIR USER PASSWORD
"""
import os
import signal
import ssl
import sys
import threading

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


def main():
    port, cert, key, out, user, password = sys.argv[1:7]
    count = [0]

    class Handler:
        async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
            if address.split("@")[0] == "refuse":
                return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
            envelope.rcpt_tos.append(address)
            return "250 OK"

        async def handle_DATA(self, server, session, envelope):
            count[0] += 1
            path = os.path.join(out, "%d.eml" % count[0])
            with open(path + ".tmp", "wb") as f:
                f.write(b"X-Envelope-From: " + envelope.mail_from.encode() + b"\r\n")
                f.write(b"X-Envelope-To: " + ", ".join(envelope.rcpt_tos).encode() + b"\r\n")
                f.write(b"X-Authenticated: " + str(session.authenticated).encode() + b"\r\n")
                f.write(b"X-TLS: " + str(session.ssl is not None).encode() + b"\r\n")
                f.write(envelope.original_content)
            os.rename(path + ".tmp", path)
            return "250 Message accepted for delivery"

    def authenticator(server, session, envelope, mechanism, auth_data):
        ok = isinstance(auth_data, LoginPassword) and \
            auth_data.login.decode() == user and auth_data.password.decode() == password
        return AuthResult(success=ok, handled=False)

    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    controller = Controller(Handler(), hostname="127.0.0.1", port=int(port), tls_context=context,
                            require_starttls=True, authenticator=authenticator, auth_required=True,
                            auth_require_tls=True)
    controller.start()
    print("ready", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    stop.wait()
    controller.stop()


if __name__ == "__main__":
    main()
