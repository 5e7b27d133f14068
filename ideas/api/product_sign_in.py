"""The page the company's product sends its customers to, signed token in hand (the page itself is
ideas/web/product_sign_in.py): described here because a product's developers read this document,
though a browser, not a client of the API, goes there."""
from typing import Any

from ..product_tokens import LEEWAY_SECONDS, LIFETIME_MAX_SECONDS, TOKEN_MAX
from .fields import Query, Text
from .serializers import SCHEMAS
from .spec import page

HTML_PAGE = {"text/html": {"schema": {"type": "string"}}}

def _claim(kind: str, words: str) -> dict[str, Any]:
    return {"type": kind, "description": words}


SCHEMAS["ProductTokenClaims"] = {
    "type": "object",
    "description": "The claims of the token the product signs: a JWT whose header has `alg` `HS256` (and "
                   "no other) and `kid`, the key id of a live secret an admin made on the page Sign-in "
                   "from your product. Other claims are ignored.",
    "properties": {
        "sub": _claim("string", "The product's id for the customer (at most 255 characters): their "
                                "account here is found by it."),
        "email": _claim("string", "The customer's address; a change is followed unless another account "
                                  "here holds the new one."),
        "name": _claim("string", "The customer's name as shown here."),
        "iat": _claim("number", "When the token was made, in seconds since 1970 (UTC)."),
        "exp": _claim("number", f"When it expires: at most {LIFETIME_MAX_SECONDS} s after `iat`, with "
                                f"{LEEWAY_SECONDS} s of leeway for clocks."),
        "jti": _claim("string", "A unique id: a token works once."),
        "aud": _claim("string", "This site's address (its BASE_URL), exactly."),
        "email_verified": _claim("boolean", "`true` when the product confirmed the address: needed to "
                                            "join an account here that already has it."),
        "company": _claim("object", "The customer's company: `id` (text or integer), `name` and "
                                    "optional `attributes` (plain values). Its shape is checked."),
    },
    "required": ["sub", "email", "name", "iat", "exp", "jti", "aud"],
}

page(
    "GET", "/auth/product", "product_sign_in.sign_in", group="Sign-in",
    summary="Sign a customer in from the company's product",
    description="Send the customer's browser here with a token the product signed: they are signed in "
                "(their account made the first time, or brought up to date) and sent on to `next`. The "
                "token's claims are a `ProductTokenClaims`. A token the site cannot trust, or one already "
                "used, gets a page saying why; nothing is changed.",
    query=Query(token=Text(TOKEN_MAX, "The signed token (a JWT).", required=True),
                next=Text(2000, "The page of this site to open afterwards, as a path (`/ideas/5`); "
                                "anything else opens the board.")),
    responses={
        "303": {"description": "Signed in: on to the page asked for (so the token leaves the address bar).",
                "headers": {"Location": {"description": "The page to open.", "required": True,
                                         "schema": {"type": "string"}}}},
        "400": {"description": "A page saying why the token cannot be used (tampered, expired, used "
                               "before, meant for another site, another algorithm, an unknown key, "
                               "claims missing or malformed).", "content": HTML_PAGE},
        "403": {"description": "A page saying why the rules refuse this customer (a team account, a "
                               "suspended member, an address another account holds…).",
                "content": HTML_PAGE},
        "429": {"description": "Too many sign-ins from this address; try again after Retry-After "
                               "seconds.", "content": HTML_PAGE},
    },
)
