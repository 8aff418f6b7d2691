#!/usr/bin/env python3
"""Signs a seeded person in (password, then a code from the seeded authenticator key) and prints
the session cookie as a header line for the load generator: `Cookie: name=value`.

usage: bench/session.py BASE_URL EMAIL PASSWORD
"""
import base64
import hashlib
import hmac
import http.cookiejar
import re
import struct
import sys
import time
import urllib.parse
import urllib.request


SEEDED_KEY = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def totp(secret_b32: str, at: float) -> str:
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    digest = hmac.new(key, struct.pack(">Q", int(at) // 30), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{code % 1_000_000:06d}"


def main() -> None:
    base, email, password = sys.argv[1:4]
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)

    def get(path: str) -> str:
        with opener.open(base + path) as res:
            return res.read().decode()

    def post(path: str, fields: dict) -> int:
        data = urllib.parse.urlencode(fields).encode()
        req = urllib.request.Request(base + path, data=data, headers={"Origin": base})
        try:
            with opener.open(req) as res:
                return res.status
        except urllib.error.HTTPError as e:
            return e.code

    def csrf(page: str) -> str:
        return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)

    page = get("/sign-in")
    assert post("/sign-in", {"csrf_token": csrf(page), "email": email, "password": password}) == 303
    # Seeded accounts have their second factor set up with a published key (app/seed.rs).
    page = get("/sign-in/code")
    status = post("/sign-in/code", {"csrf_token": csrf(page), "code": totp(SEEDED_KEY, time.time())})
    if status != 303:  # the step was used by the last run: the next one
        time.sleep(30 - time.time() % 30 + 1)
        page = get("/sign-in/code")
        status = post("/sign-in/code", {"csrf_token": csrf(page), "code": totp(SEEDED_KEY, time.time())})
    assert status == 303, status
    cookie = next(c for c in jar if "portal_session" in c.name)
    print(f"Cookie: {cookie.name}={cookie.value}")


if __name__ == "__main__":
    main()
