"""RS256 tokens are signed on worker threads, and are the very tokens PyJWT would write."""

from __future__ import annotations

import asyncio
import time

import jwt

from mockserver.core.services.jwts import Jwts, Unsigned
from mockserver.core.services.keys import SigningKey

CLAIMS = {"iss": "https://issuer", "sub": "María ñandú", "exp": 2_000_000_000, "scope": "a b", "n": 1.5}


async def test_an_answer_s_tokens_are_pyjwt_s_bytes_in_their_places() -> None:
    key = SigningKey(None, time.time())
    jwts = Jwts(key, issuers=["https://issuer"])
    answer = await jwts.sign_answer(
        {"first": 1, "access": Unsigned(CLAIMS), "middle": "x", "refresh": Unsigned({**CLAIMS, "typ": "R"})}
    )
    assert list(answer) == ["first", "access", "middle", "refresh"]
    assert answer["access"] == jwt.encode(
        CLAIMS, key.private_key, algorithm="RS256", headers={"kid": key.kid}
    )
    assert jwts.verify(answer["refresh"]) == {**CLAIMS, "typ": "R"}


async def test_the_loop_serves_others_while_tokens_are_signed() -> None:
    jwts = Jwts(SigningKey(None, time.time()), issuers=["https://issuer"])
    await jwts.sign_answer({"warm": Unsigned(CLAIMS)})  # the key is made on first use
    ticks = 0

    async def other_requests() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0)
            ticks += 1

    others = asyncio.create_task(other_requests())
    await jwts.sign_answer({f"t{n}": Unsigned({**CLAIMS, "n": n}) for n in range(40)})
    others.cancel()
    assert ticks > 0  # signed inline, the loop would not have turned once before the answer
