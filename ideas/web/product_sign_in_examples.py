"""The working examples the admin page shows (ideas/web/product_sign_in.py): code for the company's
product that makes the address signing a customer in here, filled in with this site's address and
a live key id. The tests run both (tests/test_product_tokens.py), so they stay working."""
import json

EXAMPLE_CUSTOMER = {"id": 42, "email": "ada@example.com", "name": "Ada Lovelace"}
EXAMPLE_NEXT = "/ideas/5"
SECRET_VARIABLE = "IDEAS_SIGN_IN_SECRET"

PYTHON = '''\
import os
import time
import uuid
from urllib.parse import urlencode

import jwt  # pip install PyJWT

IDEAS_URL = {audience}
SIGN_IN_URL = {endpoint}
KEY_ID = {kid}
SECRET = os.environ["{variable}"]


def ideas_sign_in_url(customer, next_page="/"):
    """The address that signs `customer` in to Ideas and opens `next_page` there."""
    now = int(time.time())
    claims = {{
        "sub": str(customer["id"]),
        "email": customer["email"],
        "name": customer["name"],
        "email_verified": True,  # only if your product has confirmed the address
        "iat": now,
        "exp": now + 300,
        "jti": str(uuid.uuid4()),
        "aud": IDEAS_URL,
    }}
    token = jwt.encode(claims, SECRET, algorithm="HS256", headers={{"kid": KEY_ID}})
    return SIGN_IN_URL + "?" + urlencode({{"token": token, "next": next_page}})


print(ideas_sign_in_url({customer}, {next}))
'''

JAVASCRIPT = '''\
const crypto = require("node:crypto");

const IDEAS_URL = {audience};
const SIGN_IN_URL = {endpoint};
const KEY_ID = {kid};
const SECRET = process.env.{variable};

function base64url(text) {{
  return Buffer.from(text).toString("base64url");
}}

// The address that signs `customer` in to Ideas and opens `nextPage` there.
function ideasSignInUrl(customer, nextPage = "/") {{
  const now = Math.floor(Date.now() / 1000);
  const header = {{ alg: "HS256", typ: "JWT", kid: KEY_ID }};
  const claims = {{
    sub: String(customer.id),
    email: customer.email,
    name: customer.name,
    email_verified: true, // only if your product has confirmed the address
    iat: now,
    exp: now + 300,
    jti: crypto.randomUUID(),
    aud: IDEAS_URL,
  }};
  const unsigned = base64url(JSON.stringify(header)) + "." + base64url(JSON.stringify(claims));
  const signature = crypto.createHmac("sha256", SECRET).update(unsigned).digest("base64url");
  const query = new URLSearchParams({{ token: unsigned + "." + signature, next: nextPage }});
  return SIGN_IN_URL + "?" + query;
}}

console.log(ideasSignInUrl({customer_js}, {next}));
'''


def examples(audience: str, endpoint: str, kid: str) -> dict[str, str]:
    """{"python": code, "javascript": code} for this site's address, sign-in address and key id.

    Values go in as JSON strings, which both languages read as string literals."""
    values = {"audience": json.dumps(audience), "endpoint": json.dumps(endpoint), "kid": json.dumps(kid),
              "variable": SECRET_VARIABLE, "next": json.dumps(EXAMPLE_NEXT)}
    customer = ", ".join(f'"{key}": {json.dumps(value)}' for key, value in EXAMPLE_CUSTOMER.items())
    customer_js = ", ".join(f"{key}: {json.dumps(value)}" for key, value in EXAMPLE_CUSTOMER.items())
    return {"python": PYTHON.format(customer="{" + customer + "}", **values),
            "javascript": JAVASCRIPT.format(customer_js="{ " + customer_js + " }", **values)}
