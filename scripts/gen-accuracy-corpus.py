#!/usr/bin/env python3
"""Generates the labeled accuracy corpus under tests/accuracy/.

    python3 scripts/gen-accuracy-corpus.py [OUT_DIR]     (default tests/accuracy)

Every fake credential is generated here from a fixed seed, in its provider's
documented format (lengths, alphabets, prefixes, GitHub's CRC32 checksum, age's
bech32 checksum, real RSA/EC/Ed25519 keys built from seeded numbers, real
HMAC-signed JWTs). None of them was ever issued by a provider.

Writes:
  OUT_DIR/corpus/**        the files that are scanned
  OUT_DIR/labels.tsv       one labeled positive per row:
                           path, line, rule_id, decoded (yes/no), secret
  OUT_DIR/negatives.tsv    one hard negative per row: path, line, kind, value

Paths are relative to OUT_DIR/corpus. `line` is the 1-based line where the
secret starts (for decoded positives: where the encoded text starts). Secrets
are escaped for TSV: backslash, tab, CR and newline as \\\\, \\t, \\r, \\n.
`decoded = yes` marks credentials that can only be found after decoding
(base64, percent-encoding, JSON escapes).

The output is committed, so `cargo test` needs no Python; re-run this script
after changing it and commit both.
"""

import base64
import hashlib
import hmac
import json
import os
import random
import shutil
import struct
import sys
import urllib.parse
import zlib

SEED = 20261127
rng = random.Random(SEED)

UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LOWER = "abcdefghijklmnopqrstuvwxyz"
DIGITS = "0123456789"
ALNUM = UPPER + LOWER + DIGITS
HEX = "0123456789abcdef"
HEXU = "0123456789ABCDEF"
B64 = ALNUM + "+/"
URLSAFE = ALNUM + "_-"
BASE32 = UPPER + "234567"


# Words the shared placeholder filter rejects (src/filters.rs); random values
# must not contain them by accident.
AVOID = ("xxxx", "example", "test", "fake", "sample", "dummy", "insert", "replace", "lorem", "foobar", "redacted", "changeme", "placeholder", "your")


def r(alphabet, n):
    while True:
        s = "".join(rng.choice(alphabet) for _ in range(n))
        if not any(w in s.lower() for w in AVOID):
            return s


def rbytes(n):
    return bytes(rng.getrandbits(8) for _ in range(n))


def b64(data):
    return base64.b64encode(data).decode()


def b64url(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def uuid4():
    h = r(HEX, 32)
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{rng.choice('89ab')}{h[17:20]}-{h[20:32]}"


def password(n=None, symbols=True):
    """A human-chosen-looking strong password: mixed classes, at least one digit."""
    n = n or rng.randint(14, 22)
    alphabet = ALNUM + ("!#%^*-_" if symbols else "")
    while True:
        p = r(alphabet, n)
        if any(c.isdigit() for c in p) and any(c.isupper() for c in p) and any(c.islower() for c in p):
            return p


# --- provider formats -------------------------------------------------------

BASE62 = DIGITS + UPPER + LOWER


def github_token(prefix, valid=True):
    body = r(ALNUM, 30)
    crc = zlib.crc32(body.encode())
    enc = ""
    for _ in range(6):
        enc = BASE62[crc % 62] + enc
        crc //= 62
    if not valid:
        while True:
            bad = r(ALNUM, 6)
            if bad != enc:
                enc = bad
                break
    return f"{prefix}_{body}{enc}"


def sendgrid_key():
    return f"SG.{r(URLSAFE, 22)}.{r(URLSAFE, 43)}"


def mailgun_private():
    return f"{r(HEX, 32)}-{r(HEX, 8)}-{r(HEX, 8)}"


def ses_smtp_password():
    # Version byte 0x04 followed by the 32-byte HMAC: 44 base64 chars starting with B.
    while True:
        p = b64(b"\x04" + rbytes(32))
        if p.startswith("B") and not p.endswith("="):
            return p


def aws_key_id(prefix="AKIA"):
    return prefix + r(BASE32, 16)


def aws_secret():
    return r(B64, 40)


BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def bech32_polymod(values):
    gen = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    chk = 1
    for v in values:
        b = chk >> 25
        chk = (chk & 0x1FFFFFF) << 5 ^ v
        for i in range(5):
            chk ^= gen[i] if ((b >> i) & 1) else 0
    return chk


def age_secret_key():
    data = rbytes(32)
    acc, bits, five = 0, 0, []
    for byte in data:
        acc = (acc << 8) | byte
        bits += 8
        while bits >= 5:
            bits -= 5
            five.append((acc >> bits) & 31)
    if bits:
        five.append((acc << (5 - bits)) & 31)
    hrp = "age-secret-key-"
    expand = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    poly = bech32_polymod(expand + five + [0] * 6) ^ 1
    checksum = [(poly >> 5 * (5 - i)) & 31 for i in range(6)]
    return (hrp + "1" + "".join(BECH32[d] for d in five + checksum)).upper()


def jwt(payload, secret=None):
    header = b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(payload, separators=(",", ":")).encode())
    key = secret or rbytes(32)
    sig = b64url(hmac.new(key, f"{header}.{body}".encode(), hashlib.sha256).digest())
    return f"{header}.{body}.{sig}"


def discord_bot_token():
    uid = "1" + r(DIGITS, 17)
    return f"{b64url(uid.encode())}.{r(URLSAFE, 6)}.{r(URLSAFE, 38)}"


def telegram_token():
    return f"{rng.randint(1000000000, 7999999999)}:AA{r(URLSAFE, 33)}"


# --- keys -------------------------------------------------------------------

from cryptography.hazmat.primitives import serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa  # noqa: E402

SMALL_PRIMES = [p for p in range(3, 2000) if all(p % d for d in range(2, int(p**0.5) + 1))]


def is_probable_prime(n):
    if n < 2:
        return False
    for p in SMALL_PRIMES:
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for _ in range(24):
        a = rng.randrange(2, n - 2)
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def prime(bits):
    while True:
        c = rng.getrandbits(bits) | (1 << (bits - 1)) | (1 << (bits - 2)) | 1
        if c % 65537 != 1 and is_probable_prime(c):
            return c


def rsa_key(bits=2048):
    e = 65537
    while True:
        p, q = prime(bits // 2), prime(bits // 2)
        if p != q:
            break
    if p < q:
        p, q = q, p
    n, phi = p * q, (p - 1) * (q - 1)
    d = pow(e, -1, phi)
    nums = rsa.RSAPrivateNumbers(p, q, d, d % (p - 1), d % (q - 1), pow(q, -1, p), rsa.RSAPublicNumbers(e, n))
    return nums.private_key()


def pem(key, fmt):
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption()).decode()


def pkcs1(key):
    return pem(key, serialization.PrivateFormat.TraditionalOpenSSL)


def pkcs8(key):
    return pem(key, serialization.PrivateFormat.PKCS8)


def ssh_string(b):
    return struct.pack(">I", len(b)) + b


def openssh_ed25519(comment="deploy@northwind"):
    """OpenSSH's private key format, built by hand so the check integers are seeded."""
    seed = rbytes(32)
    key = ed25519.Ed25519PrivateKey.from_private_bytes(seed)
    pub = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    pub_blob = ssh_string(b"ssh-ed25519") + ssh_string(pub)
    check = rbytes(4)
    priv = check + check + ssh_string(b"ssh-ed25519") + ssh_string(pub) + ssh_string(seed + pub) + ssh_string(comment.encode())
    pad = 1
    while len(priv) % 8:
        priv += bytes([pad])
        pad += 1
    blob = b"openssh-key-v1\0" + ssh_string(b"none") + ssh_string(b"none") + ssh_string(b"") + struct.pack(">I", 1)
    blob += ssh_string(pub_blob) + ssh_string(priv)
    text = b64(blob)
    lines = [text[i : i + 70] for i in range(0, len(text), 70)]
    pub_line = "ssh-ed25519 " + b64(pub_blob) + " " + comment
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(lines) + "\n-----END OPENSSH PRIVATE KEY-----\n", pub_line


def putty_ed25519(comment="ed25519-key-20240312"):
    """PuTTY .ppk version 2, unencrypted, with its HMAC-SHA1 MAC."""
    seed = rbytes(32)
    key = ed25519.Ed25519PrivateKey.from_private_bytes(seed)
    pub = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    alg = b"ssh-ed25519"
    pub_blob = ssh_string(alg) + ssh_string(pub)
    priv_blob = ssh_string(seed)
    mac_key = hashlib.sha1(b"putty-private-key-file-mac-key").digest()
    mac_data = ssh_string(alg) + ssh_string(b"none") + ssh_string(comment.encode()) + ssh_string(pub_blob) + ssh_string(priv_blob)
    mac = hmac.new(mac_key, mac_data, hashlib.sha1).hexdigest()

    def wrap(b):
        t = b64(b)
        return [t[i : i + 64] for i in range(0, len(t), 64)]

    pl, vl = wrap(pub_blob), wrap(priv_blob)
    return "\n".join(
        [f"PuTTY-User-Key-File-2: {alg.decode()}", "Encryption: none", f"Comment: {comment}", f"Public-Lines: {len(pl)}"]
        + pl
        + [f"Private-Lines: {len(vl)}"]
        + vl
        + [f"Private-MAC: {mac}"]
    ) + "\n"


def ec_key():
    return ec.derive_private_key(rng.getrandbits(255) + 1, ec.SECP256R1())


def dkim_public_record(key):
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return "v=DKIM1; k=rsa; p=" + b64(der)


# --- corpus builder -----------------------------------------------------------

LABELS = []
NEGATIVES = []
FILES = {}


def esc(s):
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\r", "\\r").replace("\n", "\\n")


class File:
    def __init__(self, path):
        assert path not in FILES, path
        self.path = path
        self.lines = []
        FILES[path] = self

    @property
    def next_line(self):
        return len(self.lines) + 1

    def add(self, text=""):
        """Adds text (one or more lines); returns the line number of its first line."""
        start = self.next_line
        self.lines.extend(text.split("\n"))
        return start

    def pos(self, text, rule, secret, decoded=False, at=None):
        """Adds text holding a credential and labels it. The line is where
        `secret` (or, for decoded ones, `at`) starts in the text."""
        start = self.add(text)
        needle = at if at is not None else secret
        idx = text.find(needle)
        assert idx >= 0 or decoded, (self.path, rule, needle)
        line = start + (text[:idx].count("\n") if idx >= 0 else 0)
        LABELS.append((self.path, line, rule, "yes" if decoded else "no", secret))
        return line

    def neg(self, text, kind, value=None):
        """Adds text holding a hard negative (a value that is not a credential)."""
        start = self.add(text)
        needle = value if value is not None else text
        idx = text.find(needle)
        line = start + (text[:idx].count("\n") if idx >= 0 else 0)
        NEGATIVES.append((self.path, line, kind, value if value is not None else text.strip()))
        return line

    def blank(self, n=1):
        for _ in range(n):
            self.lines.append("")


def filler_comment(style, n=12):
    """Lines that keep one composite block's context away from the next one."""
    c = {"#": "#", "//": "//", "--": "--", ";": ";"}[style]
    return "\n".join(f"{c} ---" if i % 4 == 0 else "" for i in range(n))


# ---------------------------------------------------------------------------
# Email providers first: API keys, SMTP logins, framework mail settings, DKIM.
# Composite rules look for the SMTP host within 10 lines, so each SMTP block
# gets its own file.
# ---------------------------------------------------------------------------

def email_corpus():
    # SendGrid API keys in many languages.
    k = sendgrid_key()
    f = File("email/sendgrid/.env")
    f.add("# production mail settings\nAPP_ENV=production")
    f.pos(f"SENDGRID_API_KEY={k}", "sendgrid.api-key", k)
    f.add("SENDGRID_FROM=no-reply@northwind.dev")

    f = File("email/sendgrid/send_receipt.py")
    k = sendgrid_key()
    f.add("import os\nfrom sendgrid import SendGridAPIClient\nfrom sendgrid.helpers.mail import Mail\n")
    f.pos(f'sg = SendGridAPIClient("{k}")', "sendgrid.api-key", k)
    f.add("def send(to):\n    message = Mail(from_email='billing@northwind.dev', to_emails=to)\n    return sg.send(message)")

    f = File("email/sendgrid/mailer.ts")
    k = sendgrid_key()
    f.add("import sgMail from '@sendgrid/mail';\n")
    f.pos(f"sgMail.setApiKey('{k}');", "sendgrid.api-key", k)
    f.add("export async function notify(to: string) {\n  await sgMail.send({ to, from: 'ops@northwind.dev', subject: 'hi', text: 'hi' });\n}")

    f = File("email/sendgrid/main.go")
    k = sendgrid_key()
    f.add('package main\n\nimport "github.com/sendgrid/sendgrid-go"\n\nfunc client() *sendgrid.Client {')
    f.pos(f'\treturn sendgrid.NewSendClient("{k}")', "sendgrid.api-key", k)
    f.add("}")

    f = File("email/sendgrid/Mailer.java")
    k = sendgrid_key()
    f.add("package dev.northwind.mail;\n\nimport com.sendgrid.SendGrid;\n\npublic class Mailer {")
    f.pos(f'    private final SendGrid sg = new SendGrid("{k}");', "sendgrid.api-key", k)
    f.add("}")

    f = File("email/sendgrid/mailer.rb")
    k = sendgrid_key()
    f.add("require 'sendgrid-ruby'\ninclude SendGrid\n")
    f.pos(f"sg = SendGrid::API.new(api_key: '{k}')", "sendgrid.api-key", k)

    f = File("email/sendgrid/send.php")
    k = sendgrid_key()
    f.add("<?php\nrequire 'vendor/autoload.php';\n")
    f.pos(f"$sendgrid = new \\SendGrid('{k}');", "sendgrid.api-key", k)

    f = File("email/sendgrid/EmailService.cs")
    k = sendgrid_key()
    f.add("using SendGrid;\n\npublic class EmailService\n{")
    f.pos(f'    private readonly SendGridClient _client = new SendGridClient("{k}");', "sendgrid.api-key", k)
    f.add("}")

    f = File("email/sendgrid/main.tf")
    k = sendgrid_key()
    f.add('provider "sendgrid" {')
    f.pos(f'  api_key = "{k}"', "sendgrid.api-key", k)
    f.add("}")

    f = File("email/sendgrid/Dockerfile")
    k = sendgrid_key()
    f.add("FROM node:20-alpine\nWORKDIR /app\nCOPY . .")
    f.pos(f"ENV SENDGRID_API_KEY={k}", "sendgrid.api-key", k)
    f.add('CMD ["node", "server.js"]')

    # SendGrid SMTP with the `apikey` user (Django, Spring, Nodemailer).
    f = File("email/sendgrid/settings.py")
    k = sendgrid_key()
    f.add("INSTALLED_APPS = ['django.contrib.auth']\nEMAIL_BACKEND = 'django.core.mail.backends.smtp.EmailBackend'")
    f.add("EMAIL_HOST = 'smtp.sendgrid.net'\nEMAIL_PORT = 587\nEMAIL_HOST_USER = 'apikey'")
    f.pos(f"EMAIL_HOST_PASSWORD = '{k}'", "sendgrid.smtp-login", k)
    f.add("EMAIL_USE_TLS = True")

    f = File("email/sendgrid/application.properties")
    k = sendgrid_key()
    f.add("spring.mail.host=smtp.sendgrid.net\nspring.mail.port=587\nspring.mail.username=apikey")
    f.pos(f"spring.mail.password={k}", "sendgrid.smtp-login", k)

    f = File("email/sendgrid/transport.js")
    k = sendgrid_key()
    f.add("const nodemailer = require('nodemailer');\n\nmodule.exports = nodemailer.createTransport({\n  host: 'smtp.sendgrid.net',\n  port: 587,\n  auth: {\n    user: 'apikey',")
    f.pos(f"    pass: '{k}',", "sendgrid.smtp-login", k)
    f.add("  },\n});")

    # SendGrid legacy username/password logins.
    f = File("email/sendgrid/legacy.env")
    p = password()
    f.add("SMTP_HOST=smtp.sendgrid.net\nSMTP_PORT=587\nSMTP_USERNAME=northwind-mailer")
    f.pos(f"SMTP_PASSWORD={p}", "sendgrid.smtp-legacy-login", p)

    f = File("email/sendgrid/legacy_settings.py")
    p = password(symbols=False)
    f.add("EMAIL_HOST = 'smtp.sendgrid.net'\nEMAIL_HOST_USER = 'acme-notifications'")
    f.pos(f"EMAIL_HOST_PASSWORD = '{p}'", "sendgrid.smtp-legacy-login", p)

    # Mailgun.
    f = File("email/mailgun/.env")
    k = "key-" + r(HEX, 32)
    f.add("MAILGUN_DOMAIN=mg.northwind.dev")
    f.pos(f"MAILGUN_API_KEY={k}", "mailgun.api-key", k)

    f = File("email/mailgun/client.js")
    k = mailgun_private()
    f.add("const formData = require('form-data');\nconst Mailgun = require('mailgun.js');\nconst mailgun = new Mailgun(formData);")
    f.pos(f"const mg = mailgun.client({{ username: 'api', key: '{k}' }});", "mailgun.private-api-key", k)

    f = File("email/mailgun/send.py")
    k = "key-" + r(HEX, 32)
    f.add("import requests\n\ndef send(to):\n    return requests.post(\n        'https://api.mailgun.net/v3/mg.northwind.dev/messages',")
    f.pos(f"        auth=('api', '{k}'),", "mailgun.api-key", k)
    f.add("        data={'from': 'ops@northwind.dev', 'to': to, 'subject': 'hi', 'text': 'hi'})")

    f = File("email/mailgun/mailgun.php")
    k = mailgun_private()
    f.add("<?php\nuse Mailgun\\Mailgun;\n")
    f.pos(f"$mg = Mailgun::create('{k}'); // mailgun private key", "mailgun.private-api-key", k)

    f = File("email/mailgun/config.yml")
    k = mailgun_private()
    f.add("mail:\n  provider: mailgun\n  domain: mg.northwind.dev")
    f.pos(f"  mailgun_api_key: {k}", "mailgun.private-api-key", k)

    f = File("email/mailgun/smtp.env")
    p = mailgun_private()
    f.add("MAIL_MAILER=smtp\nMAIL_HOST=smtp.mailgun.org\nMAIL_PORT=587\nMAIL_USERNAME=postmaster@mg.northwind.dev")
    f.pos(f"MAIL_PASSWORD={p}", "mailgun.smtp-login", p)

    f = File("email/mailgun/smtp_eu.yaml")
    p = password()
    f.add("smtp:\n  host: smtp.eu.mailgun.org\n  port: 465\n  user: postmaster@mg.northwind.eu")
    f.pos(f"  password: \"{p}\"", "mailgun.smtp-login", p)

    f = File("email/mailgun/webhooks.env")
    k = r(HEX, 32) + "-" + r(HEX, 8) + "-" + r(HEX, 8)
    f.add("# mailgun webhooks")
    f.pos(f"WEBHOOK_SIGNING_KEY={k}", "mailgun.webhook-signing-key", k)

    # Mailchimp and Mandrill.
    f = File("email/mailchimp/.env")
    k = r(HEX, 32) + f"-us{rng.randint(1, 21)}"
    f.pos(f"MAILCHIMP_API_KEY={k}", "mailchimp.api-key", k)
    f.add("MAILCHIMP_LIST_ID=" + r(HEX, 10))

    f = File("email/mailchimp/subscribe.js")
    k = r(HEX, 32) + f"-us{rng.randint(1, 21)}"
    f.add("const mailchimp = require('@mailchimp/mailchimp_marketing');\n")
    f.pos(f"mailchimp.setConfig({{ apiKey: '{k}', server: '{k.split('-')[1]}' }});", "mailchimp.api-key", k)

    f = File("email/mailchimp/newsletter.py")
    k = r(HEX, 32) + f"-us{rng.randint(1, 21)}"
    f.add("from mailchimp3 import MailChimp\n")
    f.pos(f"client = MailChimp(mc_api='{k}', mc_user='northwind')", "mailchimp.api-key", k)

    f = File("email/mailchimp/mandrill.rb")
    k = "md-" + r(URLSAFE, 22)
    f.add("require 'mandrill'\n")
    f.pos(f"mandrill = Mandrill::API.new '{k}'", "mailchimp.transactional-key", k)

    f = File("email/mailchimp/mandrill.env")
    k = r(URLSAFE, 22)
    f.pos(f"MANDRILL_APIKEY={k}", "mailchimp.mandrill-legacy-key", k)

    f = File("email/mailchimp/mandrill_smtp.env")
    k = "md-" + r(URLSAFE, 22)
    f.add("SMTP_HOST=smtp.mandrillapp.com\nSMTP_PORT=587\nSMTP_USERNAME=Northwind Trading")
    f.pos(f"SMTP_PASSWORD={k}", "mailchimp.mandrill-smtp-login", k)

    # Postmark.
    f = File("email/postmark/.env")
    k = uuid4()
    f.pos(f"POSTMARK_SERVER_TOKEN={k}", "postmark.server-token", k)
    k2 = uuid4()
    f.pos(f"POSTMARK_ACCOUNT_TOKEN={k2}", "postmark.account-token", k2)

    f = File("email/postmark/client.js")
    k = uuid4()
    f.add("const postmark = require('postmark');\n")
    f.pos(f'const client = new postmark.ServerClient("{k}");', "postmark.server-token", k)

    f = File("email/postmark/mailer.rb")
    k = uuid4()
    f.add("require 'postmark'\n")
    f.pos(f"client = Postmark::ApiClient.new('{k}')", "postmark.server-token", k)

    f = File("email/postmark/request.sh")
    k = uuid4()
    f.add("curl 'https://api.postmarkapp.com/email' \\\n  -X POST \\\n  -H 'Accept: application/json' \\")
    f.pos(f"  -H 'X-Postmark-Server-Token: {k}' \\", "postmark.server-token", k)
    f.add("  -d '{\"From\": \"ops@northwind.dev\"}'")

    f = File("email/postmark/smtp.env")
    k = uuid4()
    f.add(f"SMTP_HOST=smtp.postmarkapp.com\nSMTP_PORT=587\nSMTP_USER={k}")
    f.pos(f"SMTP_PASSWORD={k}", "postmark.smtp-login", k)

    # SparkPost.
    f = File("email/sparkpost/.env")
    k = r(HEX, 40)
    f.pos(f"SPARKPOST_API_KEY={k}", "sparkpost.api-key", k)

    f = File("email/sparkpost/send.js")
    k = r(HEX, 40)
    f.add("const SparkPost = require('sparkpost');")
    f.pos(f"const client = new SparkPost('{k}');", "sparkpost.api-key", k)

    f = File("email/sparkpost/smtp.properties")
    k = r(HEX, 40)
    f.add("mail.smtp.host=smtp.sparkpostmail.com\nmail.smtp.port=587\nmail.smtp.user=SMTP_Injection")
    f.pos(f"mail.smtp.password={k}", "sparkpost.smtp-login", k)

    # Amazon SES SMTP.
    f = File("email/ses/.env")
    u, p = aws_key_id(), ses_smtp_password()
    f.add("SMTP_HOST=email-smtp.eu-west-1.amazonaws.com\nSMTP_PORT=587")
    f.pos(f"SMTP_USERNAME={u}", "aws.access-key-id", u)
    f.pos(f"SMTP_PASSWORD={p}", "ses.smtp-credentials", p)

    f = File("email/ses/sasl_passwd")
    u, p = aws_key_id(), ses_smtp_password()
    f.pos(f"[email-smtp.us-east-1.amazonaws.com]:587 {u}:{p}", "ses.smtp-credentials", p)
    LABELS.append((f.path, f.next_line - 1, "aws.access-key-id", "no", u))

    f = File("email/ses/mailer.yml")
    u, p = aws_key_id(), ses_smtp_password()
    f.add("mailer:\n  smtp:\n    address: email-smtp.ap-southeast-2.amazonaws.com\n    port: 587")
    f.pos(f"    user_name: {u}", "aws.access-key-id", u)
    f.pos(f"    password: \"{p}\"", "ses.smtp-credentials", p)

    # Brevo (Sendinblue).
    f = File("email/brevo/.env")
    k = f"xkeysib-{r(HEX, 64)}-{r(ALNUM, 16)}"
    f.pos(f"BREVO_API_KEY={k}", "brevo.api-key", k)

    f = File("email/brevo/brevo.py")
    k = f"xkeysib-{r(HEX, 64)}-{r(ALNUM, 16)}"
    f.add("import sib_api_v3_sdk\n\nconfiguration = sib_api_v3_sdk.Configuration()")
    f.pos(f"configuration.api_key['api-key'] = '{k}'", "brevo.api-key", k)

    f = File("email/brevo/smtp.env")
    k = f"xsmtpsib-{r(HEX, 64)}-{r(ALNUM, 16)}"
    f.add("MAIL_HOST=smtp-relay.brevo.com\nMAIL_PORT=587\nMAIL_USERNAME=7a1b2c001@smtp-brevo.com")
    f.pos(f"MAIL_PASSWORD={k}", "brevo.smtp-login", k)

    f = File("email/brevo/smtp-key.txt")
    k = f"xsmtpsib-{r(HEX, 64)}-{r(ALNUM, 16)}"
    f.add("Brevo SMTP key for the newsletter (do not share):")
    f.pos(k, "brevo.smtp-key", k)

    # Mailjet.
    f = File("email/mailjet/.env")
    pub, priv = r(HEX, 32), r(HEX, 32)
    f.add(f"MJ_APIKEY_PUBLIC={pub}")
    f.pos(f"MJ_APIKEY_PRIVATE={priv}", "mailjet.api-credentials", priv)

    f = File("email/mailjet/send.py")
    pub, priv = r(HEX, 32), r(HEX, 32)
    f.add("from mailjet_rest import Client\n")
    f.add(f"mailjet_api_key = '{pub}'")
    f.pos(f"mailjet_secret_key = '{priv}'", "mailjet.api-credentials", priv)
    f.add("mailjet = Client(auth=(mailjet_api_key, mailjet_secret_key), version='v3.1')")

    f = File("email/mailjet/settings.py")
    pub, priv = r(HEX, 32), r(HEX, 32)
    f.add(f"EMAIL_HOST = 'in-v3.mailjet.com'\nEMAIL_PORT = 587\nEMAIL_HOST_USER = '{pub}'")
    f.pos(f"EMAIL_HOST_PASSWORD = '{priv}'", "mailjet.smtp-login", priv)

    # Resend.
    f = File("email/resend/.env")
    k = f"re_{r(ALNUM, 8)}_{r(ALNUM, 24)}"
    f.pos(f"RESEND_API_KEY={k}", "resend.api-key", k)

    f = File("email/resend/send.ts")
    k = f"re_{r(ALNUM, 8)}_{r(ALNUM, 24)}"
    f.add("import { Resend } from 'resend';\n")
    f.pos(f"const resend = new Resend('{k}');", "resend.api-key", k)

    f = File("email/resend/smtp.env")
    k = f"re_{r(ALNUM, 8)}_{r(ALNUM, 24)}"
    f.add("SMTP_HOST=smtp.resend.com\nSMTP_PORT=465\nSMTP_USER=resend")
    f.pos(f"SMTP_PASS={k}", "resend.smtp-login", k)

    # Mailtrap.
    f = File("email/mailtrap/.env")
    k = r(HEX, 32)
    f.pos(f"MAILTRAP_API_TOKEN={k}", "mailtrap.api-token", k)

    f = File("email/mailtrap/mailer.rb")
    k = r(HEX, 32)
    f.add("require 'mailtrap'\n")
    f.pos(f"client = Mailtrap::Client.new(api_key: '{k}')", "mailtrap.api-token", k)

    f = File("email/mailtrap/live.env")
    k = r(HEX, 32)
    f.add("MAIL_HOST=live.smtp.mailtrap.io\nMAIL_PORT=587\nMAIL_USERNAME=api")
    f.pos(f"MAIL_PASSWORD={k}", "mailtrap.smtp-login", k)

    f = File("email/mailtrap/sandbox.env")
    u, k = r(HEX, 14), r(HEX, 14)
    f.add(f"MAIL_HOST=sandbox.smtp.mailtrap.io\nMAIL_PORT=2525\nMAIL_USERNAME={u}")
    f.pos(f"MAIL_PASSWORD={k}", "mailtrap.sandbox-smtp-login", k)

    # MailerSend.
    f = File("email/mailersend/.env")
    k = "mlsn." + r(HEX, 64)
    f.pos(f"MAILERSEND_API_KEY={k}", "mailersend.api-token", k)

    f = File("email/mailersend/mailer.php")
    k = "mlsn." + r(HEX, 64)
    f.add("<?php\nuse MailerSend\\MailerSend;\n")
    f.pos(f"$mailersend = new MailerSend(['api_key' => '{k}']);", "mailersend.api-token", k)

    f = File("email/mailersend/smtp.env")
    p = password(32, symbols=False)
    f.add(f"MAIL_HOST=smtp.mailersend.net\nMAIL_PORT=587\nMAIL_USERNAME=MS_{r(ALNUM, 6)}@northwind.dev")
    f.pos(f"MAIL_PASSWORD={p}", "mailersend.smtp-login", p)

    # SMTP2GO.
    f = File("email/smtp2go/.env")
    k = "api-" + r(HEXU, 32)
    f.pos(f"SMTP2GO_API_KEY={k}", "smtp2go.api-key", k)

    f = File("email/smtp2go/send.go")
    k = "api-" + r(HEXU, 32)
    f.add('package mail\n\nconst endpoint = "https://api.smtp2go.com/v3/email/send"\n')
    f.pos(f'const apiKey = "{k}"', "smtp2go.api-key", k)

    f = File("email/smtp2go/smtp.ini")
    p = password()
    f.add("[smtp]\nhost = mail.smtp2go.com\nport = 2525\nusername = northwind-app")
    f.pos(f"password = {p}", "smtp2go.smtp-login", p)

    # Elastic Email.
    f = File("email/elasticemail/.env")
    k = r(HEXU, 96)
    f.pos(f"ELASTICEMAIL_API_KEY={k}", "elasticemail.api-key", k)

    f = File("email/elasticemail/legacy.env")
    k = uuid4()
    f.pos(f"ELASTIC_EMAIL_API_KEY={k}", "elasticemail.legacy-api-key", k)

    f = File("email/elasticemail/smtp.env")
    k = r(HEXU, 32)
    f.add("MAIL_HOST=smtp.elasticemail.com\nMAIL_PORT=2525\nMAIL_USERNAME=ops@northwind.dev")
    f.pos(f"MAIL_PASSWORD={k}", "elasticemail.smtp-login", k)

    # SMTP URLs.
    f = File("email/smtp-urls/.env")
    p = password(symbols=False)
    f.pos(f"MAILER_DSN=smtp://alerts%40northwind.dev:{p}@smtp.office365.com:587", "smtp.password", p)
    f.blank(12)
    p = password(symbols=False)
    f.pos(f"EMAIL_URL=smtp+tls://reports@northwind.dev:{p}@smtp.fastmail.com:587", "smtp.password", p)

    f = File("email/smtp-urls/config.yaml")
    p = password(symbols=False)
    f.add("notifications:\n  email:")
    f.pos(f"    transport: \"smtps://ops:{p}@mail.northwind.dev:465\"", "smtp.password", p)

    f = File("email/smtp-urls/mailer.py")
    p = password(symbols=False)
    f.add("import smtplib\nfrom urllib.parse import urlparse\n")
    f.pos(f"SMTP_URL = 'smtp://noreply:{p}@smtp.zoho.eu:587'", "smtp.password", p)

    # Framework mail settings.
    f = File("email/frameworks/django/settings.py")
    p = password()
    f.add("from pathlib import Path\n\nBASE_DIR = Path(__file__).resolve().parent.parent\n")
    f.add("EMAIL_HOST = 'smtp.gmail.com'\nEMAIL_PORT = 587\nEMAIL_HOST_USER = 'billing@northwind.dev'")
    f.pos(f"EMAIL_HOST_PASSWORD = '{p}'", "smtp.django-password", p)

    f = File("email/frameworks/laravel/.env")
    p = password(12, symbols=False)
    f.add("APP_NAME=Northwind\nMAIL_MAILER=smtp\nMAIL_HOST=smtp.hostinger.com\nMAIL_PORT=465\nMAIL_USERNAME=contact@northwind.dev")
    f.pos(f"MAIL_PASSWORD={p}", "smtp.laravel-password", p)
    f.add("MAIL_ENCRYPTION=ssl")

    f = File("email/frameworks/rails/production.rb")
    p = password(16, symbols=False)
    f.add("Rails.application.configure do\n  config.action_mailer.delivery_method = :smtp\n  config.action_mailer.smtp_settings = {")
    f.add("    address:              'smtp.gmail.com',\n    port:                 587,\n    user_name:            'notifier@northwind.dev',")
    f.pos(f"    password:             '{p}',", "smtp.rails-password", p)
    f.add("    authentication:       'plain',\n    enable_starttls_auto: true\n  }\nend")

    f = File("email/frameworks/spring/application.properties")
    p = password()
    f.add("spring.mail.host=smtp.office365.com\nspring.mail.port=587\nspring.mail.username=reports@northwind.dev")
    f.pos(f"spring.mail.password={p}", "smtp.spring-password", p)

    f = File("email/frameworks/spring/application.yml")
    p = password(16, symbols=False)
    f.add("spring:\n  mail:\n    host: smtp.gmail.com\n    port: 587\n    username: reports@northwind.dev")
    f.pos(f"    password: {p}", "smtp.spring-yaml-password", p)

    f = File("email/frameworks/node/mailer.js")
    p = password(18, symbols=False)
    f.add("const nodemailer = require('nodemailer');\n\nconst transporter = nodemailer.createTransport({\n  host: 'smtp.ethereal.email',\n  port: 587,\n  auth: {\n    user: 'maddison53@ethereal.email',")
    f.pos(f"    pass: '{p}',", "smtp.nodemailer-auth", p)
    f.add("  },\n});")

    f = File("email/frameworks/php/contact.php")
    p = password(14, symbols=False)
    f.add("<?php\n$mail = new PHPMailer(true);\n$mail->isSMTP();\n$mail->Host       = 'smtp.northwind.dev';\n$mail->SMTPAuth   = true;\n$mail->Username   = 'web@northwind.dev';")
    f.pos(f"$mail->Password   = '{p}';", "smtp.phpmailer-password", p)

    f = File("email/frameworks/dotnet/Notifier.cs")
    p = password(14)
    f.add('using System.Net;\nusing System.Net.Mail;\n\nvar client = new SmtpClient("smtp.office365.com", 587)\n{')
    f.pos(f'    Credentials = new NetworkCredential("alerts@northwind.dev", "{p}"),', "smtp.dotnet-credential", p)
    f.add("    EnableSsl = true\n};")

    f = File("email/frameworks/generic/mail.conf")
    p = password()
    f.add("SMTP_SERVER=mail.northwind.dev\nSMTP_USER=alerts@northwind.dev")
    f.pos(f"SMTP_PASSWORD={p}", "smtp.password-setting", p)

    f = File("email/frameworks/generic/notify.ts")
    p = password()
    f.add("export const mailConfig = {\n  smtpHost: 'mail.northwind.dev',\n  smtpUser: 'alerts@northwind.dev',")
    f.pos(f"  smtpPassword: '{p}',", "smtp.password-setting", p)
    f.add("};")

    # DKIM signing keys.
    key = rsa_key(2048)
    text = pkcs1(key)
    f = File("email/dkim/mail.private")
    f.pos(text.rstrip("\n"), "dkim.private-key", text.rstrip("\n"))
    f2 = File("email/dkim/mail.txt")
    rec = dkim_public_record(key)
    f2.neg(f'mail._domainkey\tIN\tTXT\t( "{rec[:200]}"\n\t"{rec[200:]}" )', "dkim-public-record", rec[:200])

    key = rsa_key(1024)
    text = pkcs8(key)
    f = File("email/dkim/opendkim/keys/northwind.dev/default.private")
    f.pos(text.rstrip("\n"), "dkim.private-key", text.rstrip("\n"))

    key = rsa_key(1024)
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption())
    body = b64(der)
    f = File("email/dkim/dkim.env")
    f.add("DKIM_SELECTOR=s1\nDKIM_DOMAIN=northwind.dev")
    f.pos(f"DKIM_PRIVATE_KEY={body}", "dkim.private-key-bare", body)

    key = rsa_key(1024)
    text = pkcs1(key).rstrip("\n")
    f = File("email/dkim/haraka-dkim.yaml")
    f.add("dkim_sign:\n  selector: mail2024\n  domain: northwind.dev\n  private_key: |")
    f.pos("\n".join("    " + line for line in text.split("\n")), "dkim.private-key", text, at="-----BEGIN")


# ---------------------------------------------------------------------------
# Other providers: one or more tokens each, placed in rotating file types.
# ---------------------------------------------------------------------------

def alnum(n):
    return r(ALNUM, n)


TOKENS = [
    # (rule id, variable name, secret generator)
    ("github.pat", "GITHUB_TOKEN", lambda: github_token("ghp")),
    ("github.pat", "GH_TOKEN", lambda: github_token("ghp")),
    ("github.oauth-token", "GITHUB_OAUTH_TOKEN", lambda: github_token("gho")),
    ("github.app-user-token", "GITHUB_USER_TOKEN", lambda: github_token("ghu")),
    ("github.app-installation-token", "GITHUB_INSTALLATION_TOKEN", lambda: github_token("ghs")),
    ("github.app-refresh-token", "GITHUB_REFRESH_TOKEN", lambda: github_token("ghr")),
    ("github.fine-grained-pat", "GH_PAT", lambda: f"github_pat_11{r(UPPER + DIGITS, 20)}_{alnum(59)}"),
    ("github.oauth-client-secret", "GITHUB_CLIENT_SECRET", lambda: r(HEX, 40)),
    ("gitlab.pat", "GITLAB_TOKEN", lambda: "glpat-" + r(URLSAFE, 20)),
    ("gitlab.deploy-token", "GITLAB_DEPLOY_TOKEN", lambda: "gldt-" + r(URLSAFE, 20)),
    ("gitlab.runner-token", "RUNNER_TOKEN", lambda: "glrt-t1_" + r(URLSAFE, 20)),
    ("gitlab.runner-registration-token", "REGISTRATION_TOKEN", lambda: "GR1348941" + r(URLSAFE, 20)),
    ("gitlab.pipeline-trigger-token", "TRIGGER_TOKEN", lambda: "glptt-" + r(HEX, 40)),
    ("gitlab.scim-token", "GITLAB_SCIM_TOKEN", lambda: "glsoat-" + r(URLSAFE, 20)),
    ("gitlab.agent-token", "KAS_TOKEN", lambda: "glagent-" + r(URLSAFE, 50)),
    ("gitlab.oauth-app-secret", "GITLAB_APP_SECRET", lambda: "gloas-" + r(URLSAFE, 64)),
    ("bitbucket.app-password", "BITBUCKET_APP_PASSWORD", lambda: "ATBB" + alnum(32)),
    ("bitbucket.access-token", "BITBUCKET_ACCESS_TOKEN", lambda: "ATCTT3xFfGN0" + r(URLSAFE, 180) + "=" + r(HEXU, 8)),
    ("slack.bot-token", "SLACK_BOT_TOKEN", lambda: f"xoxb-{r(DIGITS, 12)}-{r(DIGITS, 13)}-{alnum(24)}"),
    ("slack.user-token", "SLACK_USER_TOKEN", lambda: f"xoxp-{r(DIGITS, 11)}-{r(DIGITS, 12)}-{r(DIGITS, 13)}-{r(HEX, 32)}"),
    ("slack.app-token", "SLACK_APP_TOKEN", lambda: f"xapp-1-A{r(UPPER + DIGITS, 10)}-{r(DIGITS, 13)}-{r(HEX, 64)}"),
    ("slack.webhook", "SLACK_WEBHOOK_URL", lambda: f"https://hooks.slack.com/services/T{r(UPPER + DIGITS, 10)}/B{r(UPPER + DIGITS, 10)}/{alnum(24)}"),
    ("slack.webhook", "ALERTS_WEBHOOK", lambda: f"https://hooks.slack.com/services/T{r(UPPER + DIGITS, 8)}/B{r(UPPER + DIGITS, 10)}/{alnum(24)}"),
    ("discord.bot-token", "DISCORD_BOT_TOKEN", discord_bot_token),
    ("discord.webhook", "DISCORD_WEBHOOK", lambda: f"https://discord.com/api/webhooks/{rng.randint(10**18, 2 * 10**18)}/{r(URLSAFE, 68)}"),
    ("telegram.bot-token", "TELEGRAM_BOT_TOKEN", telegram_token),
    ("stripe.secret-key", "STRIPE_SECRET_KEY", lambda: "sk_live_" + alnum(99)),
    ("stripe.secret-key", "STRIPE_KEY", lambda: "sk_live_" + alnum(24)),
    ("stripe.restricted-key", "STRIPE_RESTRICTED_KEY", lambda: "rk_live_" + alnum(99)),
    ("stripe.test-secret-key", "STRIPE_TEST_KEY", lambda: "sk_test_" + alnum(99)),
    ("stripe.webhook-secret", "STRIPE_WEBHOOK_SECRET", lambda: "whsec_" + alnum(32)),
    ("square.access-token", "SQUARE_ACCESS_TOKEN", lambda: "EAAA" + r(URLSAFE, 60)),
    ("square.application-secret", "SQUARE_APP_SECRET", lambda: "sq0csp-" + r(URLSAFE, 43)),
    ("shopify.admin-token", "SHOPIFY_ACCESS_TOKEN", lambda: "shpat_" + r(HEX, 32)),
    ("shopify.shared-secret", "SHOPIFY_API_SECRET", lambda: "shpss_" + r(HEX, 32)),
    ("braintree.access-token", "BRAINTREE_ACCESS_TOKEN", lambda: f"access_token$production${r(LOWER + DIGITS, 16)}${r(HEX, 32)}"),
    ("paypal.client-secret", "PAYPAL_CLIENT_SECRET", lambda: "E" + r(URLSAFE, 79)),
    ("openai.api-key", "OPENAI_API_KEY", lambda: f"sk-{alnum(20)}T3BlbkFJ{alnum(20)}"),
    ("openai.project-key", "OPENAI_API_KEY", lambda: f"sk-proj-{r(URLSAFE, 74)}T3BlbkFJ{r(URLSAFE, 74)}"),
    ("anthropic.api-key", "ANTHROPIC_API_KEY", lambda: f"sk-ant-api03-{r(URLSAFE, 93)}AA"),
    ("huggingface.access-token", "HF_TOKEN", lambda: "hf_" + alnum(34)),
    ("groq.api-key", "GROQ_API_KEY", lambda: "gsk_" + alnum(52)),
    ("replicate.api-token", "REPLICATE_API_TOKEN", lambda: "r8_" + alnum(37)),
    ("cohere.api-key", "COHERE_API_KEY", lambda: alnum(40)),
    ("perplexity.api-key", "PERPLEXITY_API_KEY", lambda: "pplx-" + alnum(48)),
    ("npm.access-token", "NPM_TOKEN", lambda: "npm_" + alnum(36)),
    ("pypi.api-token", "PYPI_TOKEN", lambda: "pypi-AgEIcHlwaS5vcmc" + r(URLSAFE, 150)),
    ("rubygems.api-key", "GEM_HOST_API_KEY", lambda: "rubygems_" + r(HEX, 48)),
    ("nuget.api-key", "NUGET_API_KEY", lambda: "oy2" + r(LOWER + DIGITS, 43)),
    ("clojars.deploy-token", "CLOJARS_PASSWORD", lambda: "CLOJARS_" + r(LOWER + DIGITS, 60)),
    ("docker.hub-pat", "DOCKERHUB_TOKEN", lambda: "dckr_pat_" + r(URLSAFE, 27)),
    ("jfrog.api-key", "ARTIFACTORY_API_KEY", lambda: "AKCp" + alnum(69)),
    ("heroku.api-key", "HEROKU_API_KEY", lambda: "HRKU-" + r(URLSAFE, 60)),
    ("heroku.api-key-legacy", "HEROKU_API_KEY", uuid4),
    ("digitalocean.pat", "DIGITALOCEAN_TOKEN", lambda: "dop_v1_" + r(HEX, 64)),
    ("cloudflare.api-token", "CLOUDFLARE_API_TOKEN", lambda: r(URLSAFE, 40)),
    ("cloudflare.global-api-key", "CLOUDFLARE_API_KEY", lambda: r(HEX, 37)),
    ("cloudflare.origin-ca-key", "CF_ORIGIN_CA_KEY", lambda: f"v1.0-{r(HEX, 24)}-{r(HEX, 146)}"),
    ("vercel.token", "VERCEL_TOKEN", lambda: alnum(24)),
    ("netlify.token", "NETLIFY_AUTH_TOKEN", lambda: "nfp_" + alnum(36)),
    ("fly.api-token", "FLY_API_TOKEN", lambda: "fo1_" + r(URLSAFE, 43)),
    ("render.api-key", "RENDER_API_KEY", lambda: "rnd_" + alnum(32)),
    ("supabase.access-token", "SUPABASE_ACCESS_TOKEN", lambda: "sbp_" + r(HEX, 40)),
    ("linode.token", "LINODE_TOKEN", lambda: r(HEX, 64)),
    ("hetzner.api-token", "HCLOUD_TOKEN", lambda: alnum(64)),
    ("datadog.api-key", "DD_API_KEY", lambda: r(HEX, 32)),
    ("datadog.app-key", "DD_APP_KEY", lambda: r(HEX, 40)),
    ("newrelic.user-key", "NEW_RELIC_API_KEY", lambda: "NRAK-" + r(UPPER + DIGITS, 27)),
    ("newrelic.license-key", "NEW_RELIC_LICENSE_KEY", lambda: r(HEX, 36) + "NRAL"),
    ("sentry.user-token", "SENTRY_AUTH_TOKEN", lambda: "sntryu_" + r(HEX, 64)),
    ("grafana.service-account-token", "GRAFANA_TOKEN", lambda: f"glsa_{alnum(32)}_{r(HEX, 8)}"),
    ("pagerduty.api-key", "PAGERDUTY_API_KEY", lambda: r(URLSAFE, 20)),
    ("dynatrace.api-token", "DT_API_TOKEN", lambda: f"dt0c01.{r(UPPER + DIGITS, 24)}.{r(UPPER + DIGITS, 64)}"),
    ("honeycomb.ingest-key", "HONEYCOMB_API_KEY", lambda: "hcaik_" + r(LOWER + DIGITS, 58)),
    ("rollbar.access-token", "ROLLBAR_ACCESS_TOKEN", lambda: r(HEX, 32)),
    ("atlassian.api-token", "JIRA_API_TOKEN", lambda: "ATATT3xFfGF0" + r(URLSAFE, 180) + "=" + r(HEXU, 8)),
    ("okta.api-token", "OKTA_API_TOKEN", lambda: "00" + r(URLSAFE, 40)),
    ("auth0.client-secret", "AUTH0_CLIENT_SECRET", lambda: r(URLSAFE, 64)),
    ("vault.service-token", "VAULT_TOKEN", lambda: "hvs." + r(URLSAFE, 90)),
    ("terraform.api-token", "TF_TOKEN_app_terraform_io", lambda: f"{alnum(14)}.atlasv1.{r(URLSAFE, 67)}"),
    ("databricks.token", "DATABRICKS_TOKEN", lambda: "dapi" + r(HEX, 32)),
    ("doppler.personal-token", "DOPPLER_TOKEN", lambda: "dp.pt." + alnum(43)),
    ("pulumi.access-token", "PULUMI_ACCESS_TOKEN", lambda: "pul-" + r(HEX, 40)),
    ("age.secret-key", "SOPS_AGE_KEY", age_secret_key),
    ("notion.integration-token", "NOTION_TOKEN", lambda: "ntn_" + r(DIGITS, 11) + alnum(35)),
    ("airtable.pat", "AIRTABLE_TOKEN", lambda: f"pat{alnum(14)}.{r(HEX, 64)}"),
    ("linear.api-key", "LINEAR_API_KEY", lambda: "lin_api_" + alnum(40)),
    ("figma.pat", "FIGMA_TOKEN", lambda: "figd_" + r(URLSAFE, 40)),
    ("hubspot.private-app-token", "HUBSPOT_ACCESS_TOKEN", lambda: "pat-na1-" + uuid4()),
    ("postman.api-key", "POSTMAN_API_KEY", lambda: f"PMAK-{r(HEX, 24)}-{r(HEX, 34)}"),
    ("algolia.admin-key", "ALGOLIA_ADMIN_KEY", lambda: r(HEX, 32)),
    ("google.api-key", "GOOGLE_MAPS_API_KEY", lambda: "AIza" + r(URLSAFE, 35)),
    ("google.oauth-client-secret", "GOOGLE_CLIENT_SECRET", lambda: "GOCSPX-" + r(URLSAFE, 28)),
    ("google.oauth-refresh-token", "GOOGLE_REFRESH_TOKEN", lambda: "1//0" + r(URLSAFE, 100)),
    ("aws.bedrock-api-key", "AWS_BEARER_TOKEN_BEDROCK", lambda: "ABSKQmVkcm9ja0FQSUtleS" + r(B64, 110)),
    ("aws.appsync-api-key", "APPSYNC_API_KEY", lambda: "da2-" + r(LOWER + DIGITS, 26)),
    ("azure.entra-client-secret", "AZURE_CLIENT_SECRET", lambda: f"{r(URLSAFE, 3)}{rng.choice(DIGITS)}Q~{r(ALNUM + '_~.-', 34)}"),
    ("azure.devops-pat", "AZURE_DEVOPS_PAT", lambda: alnum(52) + "JJ99B" + alnum(19) + "AZDO" + alnum(4)),
    ("mistral.api-key", "MISTRAL_API_KEY", lambda: alnum(32)),
    ("xai.api-key", "XAI_API_KEY", lambda: "xai-" + alnum(80)),
    ("langsmith.api-key", "LANGCHAIN_API_KEY", lambda: f"lsv2_pt_{r(HEX, 32)}_{r(HEX, 10)}"),
    ("openrouter.api-key", "OPENROUTER_API_KEY", lambda: "sk-or-v1-" + r(HEX, 64)),
    ("mapbox.secret-token", "MAPBOX_SECRET_TOKEN", lambda: "sk.eyJ1Ijoibm9ydGh3aW5kIiwiYSI6I" + alnum(30) + "." + r(URLSAFE, 22)),
    ("sentry.org-token", "SENTRY_ORG_TOKEN", lambda: "sntrys_" + b64(json.dumps({"iat": 1700000000.0, "url": "https://sentry.io", "org": "northwind"}).encode()).rstrip("=") + "_" + r(B64, 43)),
    ("onepassword.secret-key", "OP_SECRET_KEY", lambda: f"A3-{r(UPPER + DIGITS, 6)}-{r(UPPER + DIGITS, 6)}-{r(UPPER + DIGITS, 5)}-{r(UPPER + DIGITS, 5)}-{r(UPPER + DIGITS, 5)}-{r(UPPER + DIGITS, 5)}"),
    ("zendesk.api-token", "ZENDESK_API_TOKEN", lambda: alnum(40)),
    ("firebase.fcm-server-key", "FCM_SERVER_KEY", lambda: f"AAAA{r(URLSAFE, 7)}:APA91b{r(URLSAFE, 134)}"),
    ("crates.api-token", "CARGO_REGISTRY_TOKEN", lambda: "cio" + alnum(32)),
]


def render(fmt, name, value):
    """One assignment of `value` to `name` in a file format. Returns (text, extension)."""
    lower = name.lower()
    camel = "".join(w.capitalize() if i else w for i, w in enumerate(lower.split("_")))
    pascal = "".join(w.capitalize() for w in lower.split("_"))
    if fmt == "env":
        return f"{name}={value}"
    if fmt == "sh":
        return f'export {name}="{value}"'
    if fmt == "yaml":
        return f"  {lower}: \"{value}\""
    if fmt == "json":
        return f'  "{lower}": "{value}",'
    if fmt == "py":
        return f'{name} = "{value}"'
    if fmt == "js":
        return f"const {name} = '{value}';"
    if fmt == "ts":
        return f'export const {name}: string = "{value}";'
    if fmt == "go":
        return f'\t{camel} = "{value}"'
    if fmt == "java":
        return f'    private static final String {name} = "{value}";'
    if fmt == "rb":
        return f"{name} = '{value}'.freeze"
    if fmt == "php":
        return f"define('{name}', '{value}');"
    if fmt == "cs":
        return f'        public const string {pascal} = "{value}";'
    if fmt == "tf":
        return f'  {lower} = "{value}"'
    if fmt == "docker":
        return f"ENV {name}={value}"
    if fmt == "toml":
        return f'{lower} = "{value}"'
    if fmt == "ini":
        return f"{lower} = {value}"
    if fmt == "xml":
        return f'    <add key="{name}" value="{value}" />'
    if fmt == "properties":
        return f"{lower.replace('_', '.')}={value}"
    if fmt == "md":
        return f"    {name}={value}"
    raise ValueError(fmt)


FORMATS = {
    "env": ("config/{n}.env", "# service credentials\n", ""),
    "sh": ("scripts/{n}.sh", "#!/usr/bin/env bash\nset -euo pipefail\n", 'echo "configured"'),
    "yaml": ("deploy/{n}.yaml", "service:\n  name: orders\n  credentials:", ""),
    "json": ("config/{n}.json", '{\n  "service": "orders",', '  "region": "eu-west-1"\n}'),
    "py": ("app/{n}.py", '"""Service configuration."""\nimport logging\n', "log = logging.getLogger(__name__)"),
    "js": ("web/{n}.js", "'use strict';\n", "module.exports = {};"),
    "ts": ("web/{n}.ts", "// generated by ops, do not edit\n", ""),
    "go": ("cmd/{n}.go", "package config\n\nvar (", ")"),
    "java": ("src/main/java/dev/northwind/{n}.java", "package dev.northwind;\n\npublic final class Secrets {", "}"),
    "rb": ("config/initializers/{n}.rb", "# frozen_string_literal: true\n", ""),
    "php": ("wp-content/{n}.php", "<?php\n", ""),
    "cs": ("src/Northwind/{n}.cs", "namespace Northwind\n{\n    public static class Keys\n    {", "    }\n}"),
    "tf": ("infra/{n}.tf", 'resource "kubernetes_secret" "app" {\n  data = {', "  }\n}"),
    "docker": ("docker/{n}.Dockerfile", "FROM python:3.12-slim\nWORKDIR /srv", 'CMD ["gunicorn", "app:app"]'),
    "toml": ("config/{n}.toml", "[credentials]", ""),
    "ini": ("config/{n}.ini", "[credentials]", ""),
    "xml": ("config/{n}.config", '<?xml version="1.0" encoding="utf-8"?>\n<configuration>\n  <appSettings>', "  </appSettings>\n</configuration>"),
    "properties": ("config/{n}.properties", "# application settings", ""),
    "md": ("docs/{n}.md", "# Deploying\n\nSet these before the first deploy (copied from the ops vault):\n", ""),
}


def tokens_corpus():
    fmts = list(FORMATS)
    # Each token goes to a file of the next format; files hold several tokens.
    per_file = 6
    buckets = {}
    for i, (rule, name, gen) in enumerate(TOKENS):
        fmt = fmts[i % len(fmts)]
        buckets.setdefault(fmt, []).append((rule, name, gen))
    for fmt, items in buckets.items():
        pattern, head, tail = FORMATS[fmt]
        for chunk_no in range(0, len(items), per_file):
            chunk = items[chunk_no : chunk_no + per_file]
            f = File("providers/" + pattern.format(n=f"{fmt}_{chunk_no // per_file + 1}"))
            f.add(head)
            for rule, name, gen in chunk:
                v = gen()
                f.pos(render(fmt, name, v), rule, v)
                f.blank()
            if tail:
                f.add(tail)

    # A second copy of every prefixed token, each in a different format, to get
    # two contexts per rule.
    second = [t for t in TOKENS if t[0] not in SECOND_SKIP]
    for i, (rule, name, gen) in enumerate(second):
        fmt = fmts[(i + 7) % len(fmts)]
        f = File(f"providers/second/{rule.replace('.', '_')}.{EXT[fmt]}")
        pattern, head, tail = FORMATS[fmt]
        f.add(head)
        v = gen()
        f.pos(render(fmt, name, v), rule, v)
        if tail:
            f.add(tail)


# Keyword rules whose second copy would duplicate the first's naming.
SECOND_SKIP = {"heroku.api-key-legacy", "cohere.api-key", "vercel.token", "mistral.api-key", "zendesk.api-token", "linode.token", "hetzner.api-token", "cloudflare.api-token"}
EXT = {"env": "env", "sh": "sh", "yaml": "yaml", "json": "json", "py": "py", "js": "js", "ts": "ts", "go": "go", "java": "java", "rb": "rb", "php": "php", "cs": "cs", "tf": "tf", "docker": "Dockerfile", "toml": "toml", "ini": "ini", "xml": "config", "properties": "properties", "md": "md"}


def cloud_corpus():
    # AWS key pairs.
    f = File("cloud/aws/credentials")
    kid, sec = aws_key_id(), aws_secret()
    f.add("[default]")
    f.pos(f"aws_access_key_id = {kid}", "aws.access-key-id", kid)
    f.pos(f"aws_secret_access_key = {sec}", "aws.secret-access-key", sec)
    f.blank()
    kid, sec = aws_key_id(), aws_secret()
    f.add("[deploy]")
    f.pos(f"aws_access_key_id = {kid}", "aws.access-key-id", kid)
    f.pos(f"aws_secret_access_key = {sec}", "aws.secret-access-key", sec)

    f = File("cloud/aws/s3.py")
    kid, sec = aws_key_id(), aws_secret()
    f.add("import boto3\n\ns3 = boto3.client(\n    's3',")
    f.pos(f"    aws_access_key_id='{kid}',", "aws.access-key-id", kid)
    f.pos(f"    aws_secret_access_key='{sec}',", "aws.secret-access-key", sec)
    f.add(")")

    f = File("cloud/aws/uploader.js")
    kid, sec = aws_key_id(), aws_secret()
    f.add("const { S3Client } = require('@aws-sdk/client-s3');\nconst s3 = new S3Client({\n  region: 'eu-west-1',\n  credentials: {")
    f.pos(f"    accessKeyId: '{kid}',", "aws.access-key-id", kid)
    f.pos(f"    secretAccessKey: '{sec}',", "aws.secret-access-key", sec)
    f.add("  },\n});")

    f = File("cloud/aws/backup.env")
    kid, sec = aws_key_id(), aws_secret()
    f.pos(f"S3_KEY={kid}", "aws.access-key-id", kid)
    f.pos(f"S3_SECRET={sec}", "aws.secret-key-paired", sec)

    f = File("cloud/aws/new_user_credentials.csv")
    kid, sec = aws_key_id(), aws_secret()
    f.add("User name,Password,Access key ID,Secret access key,Console login link")
    f.pos(f"deploy,,{kid},{sec},https://123456789012.signin.aws.amazon.com/console", "aws.credentials-csv", sec)
    LABELS.append((f.path, f.next_line - 1, "aws.access-key-id", "no", kid))

    f = File("cloud/aws/session.sh")
    kid = aws_key_id("ASIA")
    tok = "IQoJb3JpZ2luX2VjE" + r(B64, 380)
    f.pos(f"export AWS_ACCESS_KEY_ID={kid}", "aws.temporary-access-key-id", kid)
    f.add(f"export AWS_SECRET_ACCESS_KEY={aws_secret()}")
    LABELS.append((f.path, f.next_line - 1, "aws.secret-access-key", "no", f.lines[-1].split("=", 1)[1]))
    f.pos(f"export AWS_SESSION_TOKEN={tok}", "aws.session-token", tok)

    f = File("cloud/aws/main.tf")
    kid, sec = aws_key_id(), aws_secret()
    f.add('provider "aws" {\n  region     = "us-east-1"')
    f.pos(f'  access_key = "{kid}"', "aws.access-key-id", kid)
    f.pos(f'  secret_key = "{sec}"', "aws.secret-key-paired", sec)
    f.add("}")

    # Google.
    key = rsa_key(2048)
    body = pkcs8(key)
    sa = {
        "type": "service_account",
        "project_id": "northwind-prod",
        "private_key_id": r(HEX, 40),
        "private_key": body,
        "client_email": "deployer@northwind-prod.iam.gserviceaccount.com",
        "client_id": r(DIGITS, 21),
        "auth_uri": "https://accounts.google.com/o/oauth2/auth",
        "token_uri": "https://oauth2.googleapis.com/token",
    }
    f = File("cloud/google/service-account.json")
    text = json.dumps(sa, indent=2)
    escaped = json.dumps(body)[1:-1]
    f.pos(text, "google.service-account-key", body, at=escaped)

    f = File("cloud/google/client_secret.json")
    cid = f"{r(DIGITS, 12)}-{r(LOWER + DIGITS, 32)}.apps.googleusercontent.com"
    sec = "GOCSPX-" + r(URLSAFE, 28)
    text = json.dumps({"web": {"client_id": cid, "project_id": "northwind-prod", "client_secret": sec, "redirect_uris": ["https://northwind.dev/oauth2callback"]}})
    f.pos(text, "google.oauth-client-secret", sec)

    f = File("cloud/google/legacy_client.json")
    cid = f"{r(DIGITS, 12)}-{r(LOWER + DIGITS, 32)}.apps.googleusercontent.com"
    sec = r(URLSAFE, 24)
    text = json.dumps({"installed": {"client_id": cid, "client_secret": sec}})
    f.pos(text, "google.oauth-client-secret-legacy", sec)

    # Azure.
    f = File("cloud/azure/appsettings.json")
    acct, key = "northwindprod", b64(rbytes(64))
    sb = b64(rbytes(32))
    f.add('{\n  "ConnectionStrings": {')
    f.pos(f'    "Storage": "DefaultEndpointsProtocol=https;AccountName={acct};AccountKey={key};EndpointSuffix=core.windows.net",', "azure.storage-account-key", key)
    f.pos(f'    "ServiceBus": "Endpoint=sb://northwind.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey={sb}",', "azure.shared-access-key", sb)
    db = password()
    f.pos(f'    "Default": "Server=tcp:northwind.database.windows.net,1433;Database=shop;User ID=shopapp;Password={db};Encrypt=True;"', "connection-string.password", db)
    f.add("  }\n}")

    f = File("cloud/azure/backup.sh")
    sig = urllib.parse.quote(b64(rbytes(32)), safe="")
    f.pos(f'az storage blob upload --blob-url "https://northwind.blob.core.windows.net/backups/db.gz?sv=2022-11-02&ss=b&srt=co&sp=rwl&se=2031-01-01T00:00:00Z&spr=https&sig={sig}" --file db.gz', "azure.sas-token", urllib.parse.unquote(sig), decoded=True, at=sig)

    f = File("cloud/azure/storage.env")
    key = b64(rbytes(64))
    f.pos(f"AZURE_STORAGE_KEY={key}", "azure.storage-key-setting", key)

    f = File("cloud/azure/appconfig.env")
    sec = b64(rbytes(32))
    f.pos(f"APPCONFIG_CONNECTION_STRING=Endpoint=https://northwind-cfg.azconfig.io;Id={r(ALNUM, 4)}-{r(ALNUM, 2)}-s0:{r(ALNUM, 20)};Secret={sec}", "azure.app-configuration-connection-string", sec)

    # Other clouds.
    f = File("cloud/other/alibaba.env")
    kid, sec = "LTAI" + alnum(20), alnum(30)
    f.add(f"ALIBABA_CLOUD_ACCESS_KEY_ID={kid}")
    f.pos(f"ALIBABA_CLOUD_ACCESS_KEY_SECRET={sec}", "alibaba.access-key-secret", sec)

    f = File("cloud/other/tencent.env")
    kid, sec = "AKID" + alnum(32), alnum(32)
    f.add(f"TENCENTCLOUD_SECRET_ID={kid}")
    f.pos(f"TENCENTCLOUD_SECRET_KEY={sec}", "tencent.secret-key", sec)

    f = File("cloud/other/scaleway.env")
    f.add(f"SCW_ACCESS_KEY=SCW{r(UPPER + DIGITS, 17)}")
    sec = uuid4()
    f.pos(f"SCW_SECRET_KEY={sec}", "scaleway.secret-key", sec)

    # Twilio.
    f = File("cloud/twilio/.env")
    sid, tok = "AC" + r(HEX, 32), r(HEX, 32)
    f.add(f"TWILIO_ACCOUNT_SID={sid}")
    f.pos(f"TWILIO_AUTH_TOKEN={tok}", "twilio.auth-token", tok)

    f = File("cloud/twilio/sms.py")
    sid, tok = "AC" + r(HEX, 32), r(HEX, 32)
    f.add("from twilio.rest import Client\n")
    f.pos(f'client = Client("{sid}", "{tok}")', "twilio.client-credentials", tok)

    f = File("cloud/twilio/api_key.env")
    ksid, sec = "SK" + r(HEX, 32), alnum(32)
    f.add(f"TWILIO_API_KEY={ksid}")
    f.pos(f"TWILIO_API_SECRET={sec}", "twilio.api-key", sec)


def infra_corpus():
    # Connection URIs.
    uris = [
        ("uri.postgres", "DATABASE_URL=postgres://northwind:{p}@db.northwind.internal:5432/northwind", "infra/db/.env"),
        ("uri.postgres", "  url: postgresql+psycopg2://app:{p}@pg-prod.northwind.internal/app", "infra/db/alembic.yaml"),
        ("uri.mysql", "DATABASE_URL=mysql://shop:{p}@mysql.northwind.internal:3306/shop", "infra/db/mysql.env"),
        ("uri.mongodb", "const uri = 'mongodb+srv://app:{p}@cluster0.ab1cd.mongodb.net/shop?retryWrites=true&w=majority';", "infra/db/mongo.js"),
        ("uri.redis", 'REDIS_URL = "redis://:{p}@redis-12345.c1.eu-west-1-2.ec2.cloud.redislabs.com:12345/0"', "infra/db/cache.py"),
        ("uri.amqp", "CELERY_BROKER_URL=amqp://celery:{p}@rabbitmq.northwind.internal:5672//", "infra/db/celery.env"),
        ("uri.ftp", "DEPLOY_TARGET=ftp://deploy:{p}@ftp.northwind.dev/public_html", "infra/deploy/ftp.env"),
        ("uri.basic-auth", "pip install --index-url https://ci:{p}@pypi.northwind.dev/simple/ northwind-core", "infra/deploy/install.sh"),
        ("uri.postgres", '\tdsn := "postgres://orders:{p}@10.0.3.17:5432/orders?sslmode=require"', "infra/db/dsn.go"),
        ("uri.mongodb", '  "mongoUri": "mongodb://reporting:{p}@mongo-0.northwind.internal:27017/reports",', "infra/db/reports.json"),
    ]
    for rule, tmpl, path in uris:
        p = password(symbols=False)
        f = File(path)
        f.pos(tmpl.format(p=p), rule, p)

    f = File("infra/db/Database.java")
    p = password(symbols=False)
    f.add("public class Database {")
    f.pos(f'    static final String URL = "jdbc:postgresql://db.northwind.internal:5432/app?user=app&password={p}";', "connection-string.jdbc", p)
    f.add("}")

    # Credential files.
    f = File("infra/home/.netrc")
    p = r(URLSAFE, 32)
    f.add("machine api.heroku.com\n  login ops@northwind.dev")
    f.pos(f"  password {p}", "netrc.password", p)

    f = File("infra/docker/Dockerfile.build")
    tok = github_token("ghp")
    f.add("FROM golang:1.22 AS build")
    f.pos(f'RUN echo "machine github.com login ci-bot password {tok}" > ~/.netrc', "github.pat", tok)

    f = File("infra/home/.pgpass")
    p = password()
    f.add("# hostname:port:database:username:password")
    f.pos(f"db.northwind.internal:5432:northwind:app:{p}", "pgpass.password", p)

    f = File("infra/home/.git-credentials")
    p = r(ALNUM, 24)
    f.pos(f"https://northwind-ci:{p}@git.northwind.dev", "git-credentials.url", p)
    tok = github_token("ghp")
    f.pos(f"https://x-access-token:{tok}@github.com", "github.pat", tok)

    f = File("infra/home/.npmrc")
    tok = "npm_" + alnum(36)
    f.add("registry=https://registry.npmjs.org/")
    f.pos(f"//registry.npmjs.org/:_authToken={tok}", "npm.access-token", tok)
    tok2 = r(URLSAFE, 40)
    f.pos(f"//npm.northwind.dev/:_authToken={tok2}", "npm.npmrc-auth-token", tok2)
    basic = b64(f"ci:{password(symbols=False)}".encode())
    f.pos(f"//nexus.northwind.dev/repository/npm/:_auth={basic}", "npm.npmrc-basic-auth", basic)

    f = File("infra/home/.pypirc")
    p = password()
    f.add("[distutils]\nindex-servers = internal\n\n[internal]\nrepository = https://pypi.northwind.dev/\nusername = ci")
    f.pos(f"password = {p}", "pypi.pypirc-password", p)

    f = File("infra/home/settings.xml")
    p = password()
    f.add("<settings>\n  <servers>\n    <server>\n      <id>northwind-releases</id>\n      <username>deployer</username>")
    f.pos(f"      <password>{p}</password>", "maven.settings-password", p)
    f.add("    </server>\n  </servers>\n</settings>")

    f = File("infra/home/.docker/config.json")
    auth = b64(f"northwind:{password(symbols=False)}".encode())
    f.add('{\n  "auths": {\n    "registry.northwind.dev": {')
    f.pos(f'      "auth": "{auth}"', "docker.config-auth", auth)
    f.add("    }\n  }\n}")

    # Kubernetes.
    f = File("infra/k8s/kubeconfig.yaml")
    key = ec_key()
    kd = b64(pkcs1(key).encode())
    tok = jwt({"iss": "kubernetes/serviceaccount", "sub": "system:serviceaccount:ci:deployer", "kubernetes.io/serviceaccount/namespace": "ci"})
    f.add("apiVersion: v1\nkind: Config\nclusters:\n- name: prod\n  cluster:\n    server: https://k8s.northwind.internal:6443\nusers:\n- name: admin\n  user:")
    f.add("    client-certificate-data: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0t")
    f.pos(f"    client-key-data: {kd}", "kubeconfig.client-key-data", kd)
    LABELS.append((f.path, f.next_line - 1, "private-key.ec", "yes", pkcs1(key).rstrip("\n")))
    f.add("- name: deployer\n  user:")
    f.pos(f"    token: {tok}", "kubeconfig.user-token", tok)

    f = File("infra/k8s/db-secret.yaml")
    p = password()
    enc = b64(p.encode())
    f.add("apiVersion: v1\nkind: Secret\nmetadata:\n  name: db\ntype: Opaque\ndata:\n  DB_USER: " + b64(b"orders"))
    f.pos(f"  DB_PASSWORD: {enc}", "kubernetes.secret-data", enc)

    # WordPress.
    f = File("infra/wp/wp-config.php")
    p = password()
    f.add("<?php\ndefine( 'DB_NAME', 'northwind_wp' );\ndefine( 'DB_USER', 'wp_user' );")
    f.pos(f"define( 'DB_PASSWORD', '{p}' );", "wordpress.db-password", p)
    f.add("define( 'DB_HOST', 'localhost' );")

    # Application secrets.
    f = File("app/django/settings.py")
    sk = "django-insecure-" + r(LOWER + DIGITS + "!@#$%^&*(-_=+)", 50)
    f.add('INSTALLED_APPS = ["django.contrib.admin"]')
    f.pos(f"SECRET_KEY = '{sk}'", "django.secret-key", sk)
    f.add("DEBUG = False")

    f = File("app/rails/secrets.yml")
    sk = r(HEX, 128)
    f.add("production:")
    f.pos(f"  secret_key_base: {sk}", "rails.secret-key-base", sk)

    f = File("app/rails/config/master.key")
    mk = r(HEX, 32)
    f.pos(mk, "rails.master-key", mk)

    f = File("app/laravel/.env")
    ak = "base64:" + b64(rbytes(32))
    f.add("APP_NAME=Northwind\nAPP_ENV=production")
    f.pos(f"APP_KEY={ak}", "laravel.app-key", ak)

    # JWTs and signing secrets.
    f = File("app/api/client.sh")
    tok = jwt({"sub": r(HEX, 8), "name": "Dana Ops", "iat": 1700000000, "exp": 2015000000})
    f.pos(f'curl -H "Authorization: Bearer {tok}" https://api.northwind.dev/v1/orders', "jwt.token", tok)

    f = File("app/api/.env")
    s = r(URLSAFE, 43)
    f.pos(f"JWT_SECRET={s}", "jwt.signing-secret", s)

    f = File("app/api/supabase.ts")
    tok = jwt({"iss": "supabase", "ref": r(LOWER, 20), "role": "service_role", "iat": 1700000000, "exp": 2015000000})
    f.pos(f"const SUPABASE_SERVICE_ROLE_KEY = '{tok}';", "supabase.service-role-key", tok)

    # Generic assignments that hold literal secrets.
    generic = [
        ("app/generic/settings.py", 'DB_PASSWORD = "{v}"'),
        ("app/generic/config.yaml", "database:\n  host: db.northwind.internal\n  password: {v}"),
        ("app/generic/client.go", 'var apiToken = "{v}"'),
        ("app/generic/Service.java", '    private String clientSecret = "{v}";'),
        ("app/generic/deploy.sh", "export DEPLOY_API_KEY='{v}'"),
        ("app/generic/appsettings.Development.json", '{{\n  "EncryptionKey": "{v}"\n}}'),
        ("app/generic/config.rb", "config.secret_token = '{v}'"),
        ("app/generic/db.php", "$db_password = '{v}';"),
    ]
    for path, tmpl in generic:
        v = password(24, symbols=False)
        f = File(path)
        f.pos(tmpl.format(v=v), "generic.assignment", v)

    f = File("app/generic/registry.sh")
    auth = b64(f"deploy:{password(symbols=False)}".encode())
    f.pos(f"curl -H 'Authorization: Basic {auth}' https://registry.northwind.dev/v2/_catalog", "generic.basic-auth-header", auth)

    f = File("app/generic/api_test.http")
    tok = r(URLSAFE, 40)
    f.add("GET https://api.northwind.dev/v1/orders")
    f.pos(f"Authorization: Bearer {tok}", "generic.bearer-token", tok)


def keys_corpus():
    k = rsa_key(2048)
    text = pkcs1(k).rstrip("\n")
    f = File("keys/id_rsa")
    f.pos(text, "private-key.rsa", text)

    k = ec_key()
    text = pkcs1(k).rstrip("\n")
    f = File("keys/server-ec.pem")
    f.pos(text, "private-key.ec", text)

    k = rsa_key(2048)
    text = pkcs8(k).rstrip("\n")
    f = File("keys/tls/server.key")
    f.pos(text, "private-key.pkcs8", text)

    k = ed25519.Ed25519PrivateKey.from_private_bytes(rbytes(32))
    text = pkcs8(k).rstrip("\n")
    f = File("keys/signing-ed25519.pem")
    f.pos(text, "private-key.pkcs8", text)

    text, pub = openssh_ed25519()
    f = File("keys/deploy_key")
    f.pos(text.rstrip("\n"), "private-key.openssh", text.rstrip("\n"))
    g = File("keys/deploy_key.pub")
    g.neg(pub, "ssh-public-key")

    text = putty_ed25519()
    f = File("keys/windows.ppk")
    f.pos(text.rstrip("\n"), "private-key.putty", text.rstrip("\n"))

    # A key pasted into a YAML CI variable.
    k = rsa_key(1024)
    text = pkcs1(k).rstrip("\n")
    f = File("keys/ci/.gitlab-ci.yml")
    f.add("variables:\n  DEPLOY_HOST: web1.northwind.dev\n  SSH_PRIVATE_KEY: |")
    f.pos("\n".join("    " + line for line in text.split("\n")), "private-key.rsa", text, at="-----BEGIN")

    # JSON-escaped keys (one line, \n escapes): found today because the key
    # rules accept \n escapes; the decoded form must still be found once
    # JSON decoding lands.
    k = rsa_key(1024)
    text = pkcs1(k)
    f = File("keys/vault-export.json")
    esc_text = json.dumps(text)[1:-1]
    f.pos(json.dumps({"data": {"ssh_key": text, "user": "deploy"}}), "private-key.rsa", text.rstrip("\n"), at=esc_text[:40])


def decoded_corpus():
    """Credentials that are only visible after decoding."""
    # Kubernetes Secret data: the base64 value is itself reported by the
    # kubernetes.secret-data rule; the provider token inside needs decoding.
    f = File("decoded/k8s/mail-secret.yaml")
    sg = sendgrid_key()
    enc = b64(sg.encode())
    mg = "key-" + r(HEX, 32)
    enc2 = b64(mg.encode())
    f.add("apiVersion: v1\nkind: Secret\nmetadata:\n  name: mail\n  namespace: shop\ntype: Opaque\ndata:")
    f.pos(f"  SENDGRID_API_KEY: {enc}", "kubernetes.secret-data", enc)
    LABELS.append((f.path, f.next_line - 1, "sendgrid.api-key", "yes", sg))
    f.pos(f"  MAILGUN_API_KEY: {enc2}", "kubernetes.secret-data", enc2)
    LABELS.append((f.path, f.next_line - 1, "mailgun.api-key", "yes", mg))

    f = File("decoded/k8s/ci-secret.yaml")
    tok = github_token("ghp")
    enc = b64(tok.encode())
    xo = f"xoxb-{r(DIGITS, 12)}-{r(DIGITS, 13)}-{alnum(24)}"
    enc2 = b64(xo.encode())
    f.add("apiVersion: v1\nkind: Secret\nmetadata:\n  name: ci\ndata:")
    f.pos(f"  github-token: {enc}", "kubernetes.secret-data", enc)
    LABELS.append((f.path, f.next_line - 1, "github.pat", "yes", tok))
    f.pos(f"  slack-token: {enc2}", "kubernetes.secret-data", enc2)
    LABELS.append((f.path, f.next_line - 1, "slack.bot-token", "yes", xo))

    # A key in data whose name says nothing: only decoding finds it.
    f = File("decoded/k8s/stripe-secret.yaml")
    sk = "sk_live_" + alnum(99)
    enc = b64(sk.encode())
    f.add("apiVersion: v1\nkind: Secret\nmetadata:\n  name: payments\ndata:")
    f.pos(f"  STRIPE: {enc}", "stripe.secret-key", sk, decoded=True, at=enc)

    # A base64 .env blob.
    f = File("decoded/env/ci.env")
    sg = sendgrid_key()
    blob = b64(f"APP_ENV=production\nSENDGRID_API_KEY={sg}\n".encode())
    f.pos(f"APP_ENV_B64={blob}", "sendgrid.api-key", sg, decoded=True, at=blob)

    # Basic-auth headers: the header is reported as such; the token inside needs decoding.
    f = File("decoded/http/registry.sh")
    tok = github_token("ghp")
    auth = b64(f"ci-bot:{tok}".encode())
    f.pos(f"curl -H 'Authorization: Basic {auth}' https://npm.pkg.github.com/northwind", "generic.basic-auth-header", auth)
    LABELS.append((f.path, f.next_line - 1, "github.pat", "yes", tok))

    # Docker config.json auths with a Docker Hub PAT.
    f = File("decoded/docker/config.json")
    pat = "dckr_pat_" + r(URLSAFE, 27)
    auth = b64(f"northwind:{pat}".encode())
    f.add('{\n  "auths": {\n    "https://index.docker.io/v1/": {')
    f.pos(f'      "auth": "{auth}"', "docker.config-auth", auth)
    LABELS.append((f.path, f.next_line - 1, "docker.hub-pat", "yes", pat))
    f.add("    }\n  }\n}")

    # Percent-encoded passwords in URLs: the decoded password, which is what
    # the provider accepts, is reported (the encoded form is not reported twice).
    f = File("decoded/url/ses.env")
    u, p = aws_key_id(), ses_smtp_password()
    while "/" not in p and "+" not in p:
        p = ses_smtp_password()
    pe = urllib.parse.quote(p, safe="")
    f.add(f"MAILER_DSN=smtp://{u}:{pe}@email-smtp.eu-central-1.amazonaws.com:587")
    LABELS.append((f.path, f.next_line - 1, "ses.smtp-credentials", "yes", p))

    f = File("decoded/url/database.env")
    p = r(ALNUM, 10) + "@" + r(ALNUM, 4) + "/" + r(ALNUM, 6) + "#"
    pe = urllib.parse.quote(p, safe="")
    f.add(f"DATABASE_URL=postgres://orders:{pe}@db.northwind.internal:5432/orders")
    LABELS.append((f.path, f.next_line - 1, "uri.postgres", "yes", p))

    # JSON string escapes: `\/` (PHP's json_encode) hides the URL scheme.
    f = File("decoded/json/settings.json")
    p = password(symbols=False)
    f.add('{\n  "app": "shop",')
    url = f"smtp://mailer:{p}@smtp.northwind.dev:587"
    f.pos('  "mailer_dsn": "' + url.replace("/", "\\/") + '",', "smtp.password", p, decoded=True, at='"mailer_dsn"')
    f.add('  "debug": false\n}')

    f = File("decoded/json/escaped-token.json")
    tok = github_token("ghp")
    esc_tok = "".join(f"\\u{ord(c):04x}" if c == "_" else c for c in tok)
    f.pos('{"token": "' + esc_tok + '"}', "github.pat", tok, decoded=True, at='"token"')

    # A DKIM key in a JSON document (escaped newlines).
    key = rsa_key(1024)
    text = pkcs1(key)
    f = File("decoded/json/dkim.json")
    f.pos(json.dumps({"domain": "northwind.dev", "selector": "s2024", "dkim_private_key": text}, indent=2), "dkim.private-key", text.rstrip("\n"), at="-----BEGIN")


# ---------------------------------------------------------------------------
# Hard negatives.
# ---------------------------------------------------------------------------

def negatives_corpus():
    # Placeholders and references in .env.example files, per email provider.
    f = File("negatives/env/.env.example")
    placeholders = [
        "SENDGRID_API_KEY=SG.xxxxxxxxxxxxxxxxxxxxxx.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "SENDGRID_API_KEY=your-sendgrid-api-key",
        "SENDGRID_API_KEY=<SENDGRID_API_KEY>",
        "MAILGUN_API_KEY=key-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "MAILGUN_API_KEY=${MAILGUN_API_KEY}",
        "MAILGUN_DOMAIN=mg.example.com",
        "MAILCHIMP_API_KEY=your-mailchimp-key-us1",
        "MANDRILL_APIKEY=changeme",
        "POSTMARK_SERVER_TOKEN=00000000-0000-0000-0000-000000000000",
        "POSTMARK_API_TOKEN=POSTMARK_API_TEST",
        "SPARKPOST_API_KEY=<your sparkpost api key>",
        "BREVO_API_KEY=xkeysib-your-api-key",
        "MJ_APIKEY_PUBLIC=your_public_key",
        "MJ_APIKEY_PRIVATE=your_private_key",
        "RESEND_API_KEY=re_123456789",
        "MAILTRAP_API_TOKEN=${MAILTRAP_TOKEN}",
        "MAILERSEND_API_KEY=mlsn.your_api_token",
        "SMTP2GO_API_KEY=api-XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
        "ELASTICEMAIL_API_KEY=YOUR_API_KEY",
        "MAIL_HOST=smtp.mailgun.org",
        "MAIL_USERNAME=postmaster@mg.example.com",
        "MAIL_PASSWORD=",
        "MAIL_PASSWORD=null",
        "SMTP_PASSWORD=${SMTP_PASSWORD}",
        "SMTP_PASSWORD=$SMTP_PASSWORD",
        "EMAIL_HOST_PASSWORD=changeme",
        "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
        "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "GITHUB_TOKEN=ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
        "GITHUB_TOKEN=<your-github-token>",
        "SLACK_BOT_TOKEN=xoxb-your-bot-token",
        "SLACK_WEBHOOK_URL=https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
        "STRIPE_SECRET_KEY=sk_live_...",
        "STRIPE_SECRET_KEY=sk_test_4eC39HqLyjWDarjtT1zdp7dc",
        "STRIPE_PUBLISHABLE_KEY=pk_live_" + alnum(24),
        "OPENAI_API_KEY=sk-...",
        "OPENAI_API_KEY=your-openai-api-key-here",
        "DATABASE_URL=postgres://postgres:postgres@localhost:5432/app",
        "DATABASE_URL=postgres://user:password@localhost:5432/app",
        "DATABASE_URL=postgres://${DB_USER}:${DB_PASSWORD}@${DB_HOST}:5432/app",
        "REDIS_URL=redis://localhost:6379/0",
        "JWT_SECRET=change-me-in-production",
        "APP_KEY=",
        "SECRET_KEY=replace-with-a-long-random-string",
        "API_TOKEN=TODO",
        "DB_PASSWORD=password",
        "DB_PASSWORD=secret",
        "DB_PASSWORD=*****",
        "ADMIN_PASSWORD=admin",
        "TWILIO_AUTH_TOKEN=your_auth_token",
    ]
    for line in placeholders:
        f.neg(line, "placeholder", line.split("=", 1)[1] or "(empty)")

    # References to the environment and templates, in many languages.
    refs = [
        ("negatives/refs/settings.py", [
            "EMAIL_HOST_PASSWORD = os.environ['EMAIL_HOST_PASSWORD']",
            "EMAIL_HOST_PASSWORD = os.getenv('EMAIL_HOST_PASSWORD', '')",
            "SENDGRID_API_KEY = env('SENDGRID_API_KEY')",
            "DATABASES = {'default': dj_database_url.config(default=os.environ.get('DATABASE_URL'))}",
            "SECRET_KEY = config('SECRET_KEY')",
            "AWS_SECRET_ACCESS_KEY = settings.AWS_SECRET_ACCESS_KEY",
            "password = getpass.getpass('Password: ')",
            "api_key = request.headers.get('X-Api-Key')",
            "token = self._token_provider.get_token()",
            "MAILGUN_API_KEY = os.environ.get(\"MAILGUN_API_KEY\")",
        ]),
        ("negatives/refs/mailer.js", [
            "const transporter = nodemailer.createTransport({ host: process.env.SMTP_HOST, auth: { user: process.env.SMTP_USER, pass: process.env.SMTP_PASS } });",
            "sgMail.setApiKey(process.env.SENDGRID_API_KEY);",
            "const mg = mailgun.client({ username: 'api', key: process.env.MAILGUN_API_KEY || '' });",
            "const token = req.headers.authorization?.split(' ')[1];",
            "const password = document.getElementById('password').value;",
            "const apiKey = config.get('stripe.secretKey');",
            "const secret = await secretsManager.getSecretValue({ SecretId: 'prod/api' }).promise();",
            "const client = new postmark.ServerClient(process.env.POSTMARK_SERVER_TOKEN);",
        ]),
        ("negatives/refs/config.go", [
            '\tpassword := os.Getenv("SMTP_PASSWORD")',
            '\ttoken := viper.GetString("github.token")',
            '\tapiKey, ok := os.LookupEnv("SENDGRID_API_KEY")',
            "\tsecret := cfg.Auth.JWTSecret",
        ]),
        ("negatives/refs/Mailer.java", [
            '    private final String apiKey = System.getenv("SENDGRID_API_KEY");',
            '    @Value("${spring.mail.password}") private String password;',
            '    String token = properties.getProperty("github.token");',
        ]),
        ("negatives/refs/mailer.rb", [
            "  password: ENV['SMTP_PASSWORD'],",
            "  api_key: Rails.application.credentials.dig(:sendgrid, :api_key),",
            "  user_name: ENV.fetch('SMTP_USER'),",
        ]),
        ("negatives/refs/mail.php", [
            "$mail->Password = getenv('SMTP_PASSWORD');",
            "'password' => env('MAIL_PASSWORD'),",
            "$apiKey = $_ENV['SENDGRID_API_KEY'];",
        ]),
        ("negatives/refs/Program.cs", [
            '    Credentials = new NetworkCredential(config["Smtp:User"], config["Smtp:Password"]),',
            '    var key = Environment.GetEnvironmentVariable("SENDGRID_API_KEY");',
        ]),
        ("negatives/refs/deploy.sh", [
            'export SMTP_PASSWORD="$(vault kv get -field=password secret/smtp)"',
            'curl -u "api:${MAILGUN_API_KEY}" https://api.mailgun.net/v3/domains',
            'docker login -u "$DOCKER_USER" --password-stdin <<< "$DOCKER_TOKEN"',
            'TOKEN=$(gh auth token)',
            'aws configure set aws_secret_access_key "$AWS_SECRET_ACCESS_KEY"',
        ]),
        ("negatives/refs/main.tf", [
            '  password = var.db_password',
            '  api_key  = data.sendgrid_api_key.main.key',
            '  secret_key = aws_iam_access_key.deploy.secret',
            '  token = random_password.token.result',
        ]),
        ("negatives/refs/values.yaml", [
            "  password: {{ .Values.smtp.password }}",
            "  password: \"{{ smtp_password }}\"",
            "  apiKey: ${SENDGRID_API_KEY}",
            "  token: !vault |",
            "  password: '%(smtp_password)s'",
            "  secretKeyRef:",
            "  smtp_password: \"<%= ENV['SMTP_PASSWORD'] %>\"",
        ]),
        ("negatives/refs/Dockerfile", [
            "ARG NPM_TOKEN",
            "RUN --mount=type=secret,id=npm_token NPM_TOKEN=$(cat /run/secrets/npm_token) npm ci",
            "ENV SENDGRID_API_KEY=${SENDGRID_API_KEY}",
        ]),
        ("negatives/refs/.github/workflows/deploy.yml", [
            "          SENDGRID_API_KEY: ${{ secrets.SENDGRID_API_KEY }}",
            "          password: ${{ secrets.DOCKERHUB_TOKEN }}",
            "          github-token: ${{ github.token }}",
        ]),
    ]
    for path, lines in refs:
        f = File(path)
        for line in lines:
            f.neg(line, "reference")

    # Documentation with example values.
    f = File("negatives/docs/README.md")
    f.add("# Northwind mailer\n\n## Configuration\n\nSet your SendGrid key:\n\n```sh")
    doc_lines = [
        "export SENDGRID_API_KEY='SG.your_api_key_here'",
        "export SENDGRID_API_KEY=\"YOUR_API_KEY\"",
        "export MAILGUN_API_KEY=key-<your-key>",
        "export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
        "export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "curl -u 'api:YOUR_API_KEY' https://api.mailgun.net/v3/YOUR_DOMAIN/messages",
        "curl -H 'Authorization: Bearer <token>' https://api.northwind.dev/v1/me",
        "curl -H 'Authorization: Bearer $TOKEN' https://api.northwind.dev/v1/me",
        "git clone https://<username>:<token>@github.com/northwind/app.git",
        "smtp://user:password@smtp.example.com:587",
        "postgres://user:pass@localhost/db",
        "mongodb://<username>:<password>@cluster0.mongodb.net/test",
        "DATABASE_URL=mysql://root:root@127.0.0.1:3306/app",
    ]
    for line in doc_lines:
        f.neg(line, "docs-example")
    f.add("```\n\nThe JWT from the jwt.io debugger looks like this:\n")
    jwtio = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
    f.neg("    " + jwtio, "docs-example", jwtio)
    f.add("\nA PEM key starts with:\n\n```")
    f.neg("-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA...\n-----END RSA PRIVATE KEY-----", "docs-example", "-----BEGIN RSA PRIVATE KEY-----")
    f.add("```\n\nAnd the Azure storage emulator's well-known key:\n")
    emu = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
    f.neg(f"    DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey={emu};BlobEndpoint=http://127.0.0.1:10000/devstoreaccount1;", "docs-example", emu)

    f = File("negatives/docs/smtp-setup.md")
    f.add("# SMTP setup\n\n| setting | value |\n|---|---|")
    for line in [
        "| host | `smtp.sendgrid.net` |",
        "| user | `apikey` |",
        "| password | `<your SendGrid API key>` |",
        "| MAIL_PASSWORD | `your-mailgun-smtp-password` |",
        "| SMTP_PASSWORD | `********` |",
    ]:
        f.neg(line, "docs-example")

    # Password form fields, identifiers and names that only look like assignments.
    f = File("negatives/identifiers/forms.html")
    for line in [
        '<input type="password" name="password" id="password" autocomplete="current-password">',
        '<label for="api_key">API key</label><input name="api_key" value="">',
        '<meta name="csrf-token" content="' + r(ALNUM, 40) + '">',
        '<input type="hidden" name="authenticity_token" value="' + b64(rbytes(48)) + '">',
    ]:
        f.neg(line, "identifier")

    f = File("negatives/identifiers/constants.py")
    for line in [
        'PASSWORD_FIELD = "user_password_input"',
        'TOKEN_TYPE = "bearer"',
        'SECRET_NAME = "prod/northwind/smtp"',
        'API_KEY_HEADER = "X-Api-Key"',
        'password_reset_url = "/accounts/password/reset/"',
        'token_endpoint = "https://oauth2.googleapis.com/token"',
        'SECRET_KEY_ENV_VAR = "DJANGO_SECRET_KEY"',
        'AUTH_TOKEN_KEY = "authToken"',
        "password_min_length = 12",
        "token_expiry_seconds = 3600",
        'next_page_token = "CAUQAA"',
        'csrf_token = "' + r(ALNUM, 32) + '"',
        'secret_arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/smtp-AbCdEf"',
        'password_hash_algorithm = "argon2id"',
        'test_password = "' + r(ALNUM, 6) + '1"',
    ]:
        f.neg(line, "identifier")

    f = File("negatives/identifiers/AuthService.java")
    for line in [
        '    private static final String PASSWORD_PARAM = "password";',
        '    private static final String ACCESS_TOKEN_KEY = "accessToken";',
        '    private static final String SECRET_PROPERTY = "app.jwt.secret";',
        '    String passwordEncoderId = "bcrypt";',
        '    String tokenHeader = "Authorization";',
        '    final String apiKeyName = "X_API_KEY";',
    ]:
        f.neg(line, "identifier")

    f = File("negatives/identifiers/routes.ts")
    for line in [
        "export const PASSWORD_RESET_ROUTE = '/password/reset';",
        "const tokenKey = 'northwind.auth.token';",
        "const secretName = `${env}-smtp-password`;",
        "type Credentials = { user: string; password: string };",
        "const apiKeyPattern = /^SG\\.[\\w-]{22}\\.[\\w-]{43}$/;",
    ]:
        f.neg(line, "identifier")

    # Test fixtures with low-entropy or published values.
    f = File("negatives/fixtures/spec/fixtures/users.yml")
    for line in [
        "admin:\n  email: admin@example.com\n  password: password123",
        "alice:\n  email: alice@example.com\n  password: test1234",
        "bob:\n  email: bob@example.com\n  password: aaaaaaaa1",
        "carol:\n  email: carol@example.com\n  password: 12345678",
        "dave:\n  email: dave@example.com\n  password: qwerty123",
    ]:
        f.neg(line, "fixture", line.rsplit(": ", 1)[1])
    f = File("negatives/fixtures/tests/test_mailer.py")
    for line in [
        "    settings.EMAIL_HOST_PASSWORD = 'test'",
        "    mailer = Mailer(api_key='test-key')",
        "    client = SendGridAPIClient('SG.test')",
        "    assert login('user', 'pass1234') is True",
        "    token = 'dummy-token-123'",
        "    monkeypatch.setenv('SENDGRID_API_KEY', 'SG.fake.fake')",
        "    password = 'x' * 20",
        "    auth = ('api', 'key-test')",
    ]:
        f.neg(line, "fixture")
    f = File("negatives/fixtures/test/mailer.test.js")
    for line in [
        "  const transport = nodemailer.createTransport({ host: 'localhost', port: 1025, auth: { user: 'test', pass: 'test' } });",
        "  process.env.SENDGRID_API_KEY = 'SG.test-key';",
        "  expect(maskToken('ghp_abc')).toBe('ghp_***');",
        "  const password = 'correct horse battery staple';",
    ]:
        f.neg(line, "fixture")

    # Wrong-checksum and wrong-length lookalikes of prefixed tokens.
    f = File("negatives/lookalikes/tokens.txt")
    f.add("# random strings with a provider prefix but the wrong shape")
    for _ in range(20):
        t = github_token(rng.choice(["ghp", "gho", "ghu", "ghs", "ghr"]), valid=False)
        f.neg(f"token {t}", "bad-checksum", t)
    lookalikes = [
        "SG." + r(URLSAFE, 22) + "." + r(URLSAFE, 30),
        "SG." + r(URLSAFE, 16) + "." + r(URLSAFE, 43),
        "key-" + r(HEX, 31),
        "key-" + r(HEX, 24),
        "pubkey-" + r(HEX, 32),
        r(HEX, 31) + "-us6",
        "xkeysib-" + r(HEX, 63) + "-" + r(ALNUM, 16),
        "xoxb-" + r(DIGITS, 12) + "-" + r(ALNUM, 24),
        "AKIA" + r(BASE32, 15),
        "AKIA" + r("ABCDEFGHIJKLMNOPQRSTUVWXYZ0189", 16).replace("A", "0"),
        "sk_live_" + r(ALNUM, 10),
        "glpat-" + r(URLSAFE, 12),
        "npm_" + r(ALNUM, 30),
        "hf_" + r(ALNUM, 20),
        "dop_v1_" + r(HEX, 60),
        "shpat_" + r(HEX, 30),
        "re_" + r(ALNUM, 8) + "_" + r(ALNUM, 12),
        "mlsn." + r(HEX, 40),
        "api-" + r(HEXU, 20),
        "rk_live_" + r(ALNUM, 12),
        "sk-ant-api03-" + r(URLSAFE, 40),
        "AIza" + r(URLSAFE, 20),
        "xapp-1-" + r(UPPER, 5),
        "dckr_pat_" + r(URLSAFE, 10),
        "GOCSPX-" + r(URLSAFE, 10),
        "md-" + r(URLSAFE, 12),
        "NRAK-" + r(UPPER + DIGITS, 10),
        "hvs." + r(URLSAFE, 10),
        "sk-" + r(ALNUM, 48),
        "ATBB" + r(ALNUM, 10),
    ]
    for t in lookalikes:
        f.neg(f"value: {t}", "wrong-length", t)

    # Hashes, digests and ids.
    f = File("negatives/hashes/SHA256SUMS")
    for name in ["leakhound-x86_64-unknown-linux-gnu.tar.gz", "leakhound-aarch64-apple-darwin.tar.gz", "leakhound-x86_64-pc-windows-msvc.zip", "leakhound.1.gz", "leakhound.sha256.sig"]:
        h = r(HEX, 64)
        f.neg(f"{h}  {name}", "hash", h)
    f = File("negatives/hashes/checksums.md5")
    for name in ["app.js", "vendor.js", "styles.css", "logo.svg", "index.html"]:
        h = r(HEX, 32)
        f.neg(f"{h}  dist/{name}", "hash", h)
    f = File("negatives/hashes/build-info.json")
    f.add("{")
    for key in ["commit", "parentCommit", "treeHash", "sourceSha256", "imageDigest", "buildId", "requestId", "traceId", "cacheKey", "etag"]:
        if key == "imageDigest":
            v = "sha256:" + r(HEX, 64)
        elif key in ("buildId", "requestId"):
            v = uuid4()
        elif key in ("traceId", "cacheKey", "etag"):
            v = r(HEX, 32)
        elif key == "sourceSha256":
            v = r(HEX, 64)
        else:
            v = r(HEX, 40)
        f.neg(f'  "{key}": "{v}",', "hash-or-id", v)
    f.add('  "ok": true\n}')

    f = File("negatives/hashes/ids.yaml")
    for key in ["uid", "correlation_id", "tenant_id", "client_id", "subscription_id", "object_id", "installation_id", "session_id", "device_id", "message_id"]:
        v = uuid4()
        f.neg(f"{key}: {v}", "uuid", v)
    for key in ["commit_sha", "base_sha", "head_sha", "blob_sha", "merge_commit"]:
        v = r(HEX, 40)
        f.neg(f"{key}: {v}", "git-sha", v)

    f = File("negatives/hashes/tokens_with_uuids.env")
    for key in ["POSTMARK_MESSAGE_STREAM_ID", "SENDGRID_TEMPLATE_ID", "MAILCHIMP_AUDIENCE_ID", "DATADOG_SITE_ID", "HEROKU_APP_ID", "SENTRY_PROJECT_ID", "ALGOLIA_APP_ID", "DISCORD_GUILD_ID"]:
        v = uuid4() if key not in ("SENDGRID_TEMPLATE_ID",) else "d-" + r(HEX, 32)
        f.neg(f"{key}={v}", "provider-id", v)

    # Lockfiles.
    lock = {"name": "northwind-web", "version": "1.0.0", "lockfileVersion": 3, "requires": True, "packages": {}}
    names = ["react", "react-dom", "lodash", "axios", "express", "nodemailer", "@sendgrid/mail", "mailgun.js", "dotenv", "jsonwebtoken", "bcrypt", "uuid", "debug", "ms", "chalk", "commander", "semver", "yargs", "minimist", "glob", "rimraf", "mkdirp", "postmark", "sparkpost", "form-data"]
    for n in names:
        lock["packages"][f"node_modules/{n}"] = {
            "version": f"{rng.randint(1, 9)}.{rng.randint(0, 20)}.{rng.randint(0, 9)}",
            "resolved": f"https://registry.npmjs.org/{n}/-/{n.split('/')[-1]}-1.0.0.tgz",
            "integrity": "sha512-" + b64(rbytes(64)),
        }
    text = json.dumps(lock, indent=2)
    f = File("negatives/lockfiles/package-lock.json")
    start = f.add(text)
    for i, line in enumerate(text.split("\n")):
        if '"integrity"' in line:
            NEGATIVES.append((f.path, start + i, "lockfile-integrity", line.split('"')[3]))

    f = File("negatives/lockfiles/yarn.lock")
    f.add("# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.\n# yarn lockfile v1\n")
    for n in names[:15]:
        f.add(f'"{n}@^1.0.0":\n  version "1.0.0"\n  resolved "https://registry.yarnpkg.com/{n}/-/{n.split("/")[-1]}-1.0.0.tgz#{r(HEX, 40)}"')
        v = "sha512-" + b64(rbytes(64))
        f.neg(f"  integrity {v}", "lockfile-integrity", v)
        f.blank()

    f = File("negatives/lockfiles/go.sum")
    for mod in ["github.com/sendgrid/sendgrid-go v3.14.0+incompatible", "github.com/mailgun/mailgun-go/v4 v4.12.0", "github.com/spf13/viper v1.18.2", "golang.org/x/crypto v0.21.0", "golang.org/x/oauth2 v0.18.0", "google.golang.org/api v0.170.0", "github.com/aws/aws-sdk-go-v2 v1.26.0", "github.com/stripe/stripe-go/v76 v76.21.0", "github.com/slack-go/slack v0.12.5", "github.com/golang-jwt/jwt/v5 v5.2.1"]:
        h = "h1:" + b64(rbytes(32))
        f.neg(f"{mod} {h}", "lockfile-hash", h)
        h = "h1:" + b64(rbytes(32))
        f.neg(f"{mod.split(' ')[0]} {mod.split(' ')[1]}/go.mod {h}", "lockfile-hash", h)

    f = File("negatives/lockfiles/Cargo.lock")
    f.add("# This file is automatically @generated by Cargo.\nversion = 4\n")
    for n in ["aho-corasick", "base64", "clap", "gix", "regex", "serde", "serde_json", "sha2", "tokio", "reqwest"]:
        f.add(f'[[package]]\nname = "{n}"\nversion = "1.0.0"\nsource = "registry+https://github.com/rust-lang/crates.io-index"')
        h = r(HEX, 64)
        f.neg(f'checksum = "{h}"', "lockfile-hash", h)
        f.blank()

    f = File("negatives/lockfiles/poetry.lock")
    for n in ["django", "sendgrid", "boto3", "requests", "cryptography"]:
        f.add(f'[[package]]\nname = "{n}"\nversion = "4.2.0"\nfiles = [')
        for ext in ["tar.gz", "whl"]:
            h = r(HEX, 64)
            f.neg(f'    {{file = "{n}-4.2.0.{ext}", hash = "sha256:{h}"}},', "lockfile-hash", h)
        f.add("]\n")

    f = File("negatives/lockfiles/composer.lock")
    f.add('{\n    "packages": [')
    for n in ["phpmailer/phpmailer", "mailgun/mailgun-php", "sendgrid/sendgrid", "guzzlehttp/guzzle", "symfony/mailer"]:
        ref = r(HEX, 40)
        f.add(f'        {{\n            "name": "{n}",\n            "version": "v6.9.1",')
        f.neg(f'            "source": {{"type": "git", "url": "https://github.com/{n}.git", "reference": "{ref}"}},', "lockfile-hash", ref)
        shasum = r(HEX, 40)
        f.neg(f'            "dist": {{"type": "zip", "reference": "{ref}", "shasum": "{shasum}"}}', "lockfile-hash", shasum)
        f.add("        },")
    f.add("    ]\n}")

    f = File("negatives/lockfiles/Gemfile.lock")
    f.add("GEM\n  remote: https://rubygems.org/\n  specs:")
    for n in ["rails", "sendgrid-ruby", "mail", "postmark", "aws-sdk-ses"]:
        f.add(f"    {n} (7.1.3)")
    f.add("\nCHECKSUMS")
    for n in ["rails", "sendgrid-ruby", "mail", "postmark", "aws-sdk-ses"]:
        h = r(HEX, 64)
        f.neg(f"  {n} (7.1.3) sha256={h}", "lockfile-hash", h)

    # Base64 of non-secrets.
    f = File("negatives/base64/configmap.yaml")
    f.add("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\nbinaryData:")
    for name, content in [("favicon.ico", rbytes(60)), ("banner.txt", b"Welcome to Northwind! Orders ship in 2 days.\n"), ("robots.txt", b"User-agent: *\nDisallow: /admin\n")]:
        v = b64(content)
        f.neg(f"  {name}: {v}", "base64-non-secret", v)
    f.add("data:")
    for line in ["  LOG_LEVEL: info", "  FEATURE_FLAGS: checkout,search", "  SMTP_HOST: smtp.sendgrid.net", "  SMTP_PORT: \"587\""]:
        f.neg(line, "configmap")

    f = File("negatives/base64/secret-refs.yaml")
    f.add("apiVersion: v1\nkind: Secret\nmetadata:\n  name: app\ntype: Opaque\ndata:")
    for key, content in [("config.json", b'{"region":"eu-west-1","debug":false}'), ("ca.crt", b"-----BEGIN CERTIFICATE-----\n"), ("username", b"orders")]:
        v = b64(content)
        f.neg(f"  {key}: {v}", "base64-non-secret", v)

    f = File("negatives/base64/styles.css")
    for _ in range(4):
        v = b64(rbytes(90))
        f.neg(f".icon-{r(LOWER, 5)} {{ background-image: url(data:image/png;base64,{v}); }}", "data-uri", v)
    f = File("negatives/base64/font.js")
    v = b64(rbytes(300))
    f.neg(f"export const font = 'data:font/woff2;base64,{v}';", "data-uri", v)

    # Public keys and certificates.
    f = File("negatives/keys/authorized_keys")
    for _ in range(3):
        _, pub = openssh_ed25519(comment=f"{r(LOWER, 6)}@laptop")
        f.neg(pub, "ssh-public-key")
    k = rsa_key(1024)
    pubpem = k.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode().rstrip("\n")
    f = File("negatives/keys/jwt-public.pem")
    f.neg(pubpem, "public-key", "-----BEGIN PUBLIC KEY-----")
    f = File("negatives/keys/ca.pem")
    body = b64(rbytes(600))
    cert = "-----BEGIN CERTIFICATE-----\n" + "\n".join(body[i : i + 64] for i in range(0, len(body), 64)) + "\n-----END CERTIFICATE-----"
    f.neg(cert, "certificate", "-----BEGIN CERTIFICATE-----")
    f = File("negatives/keys/README.md")
    f.neg("Put your key in `~/.ssh/id_rsa` (it starts with `-----BEGIN OPENSSH PRIVATE KEY-----`).", "docs-example")
    f.neg("-----BEGIN PRIVATE KEY-----\n<paste your private key here>\n-----END PRIVATE KEY-----", "docs-example", "-----BEGIN PRIVATE KEY-----")
    ex = "-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(["MIIEXAMPLEKEYEXAMPLEKEYEXAMPLEKEYEXAMPLEKEYEXAMPLEKEYEXAMPLEKEYEX"] * 6) + "\n-----END RSA PRIVATE KEY-----"
    f.neg(ex, "docs-example", "-----BEGIN RSA PRIVATE KEY-----")

    # Minified JavaScript with long random-looking strings.
    parts = []
    for i in range(40):
        kind = i % 5
        if kind == 0:
            v = r(HEX, 40)
        elif kind == 1:
            v = b64(rbytes(45))
        elif kind == 2:
            v = r(ALNUM, 32)
        elif kind == 3:
            v = uuid4()
        else:
            v = r(URLSAFE, 24)
        parts.append((v, f'{r(LOWER, 1)}{i}:"{v}"'))
    src = "!function(){var e={" + ",".join(p for _, p in parts) + '};window.__N=e;var t=function(n){return e[n]||"";};}();'
    f = File("negatives/minified/vendor.min.js")
    start = f.add(src)
    for v, _ in parts:
        NEGATIVES.append((f.path, start, "minified-string", v))
    src2 = 'var a="password",b="token",c=function(p){return p.password!==""&&p.token!==void 0},d={apiKey:"",secret:null,passwordMinLength:8,tokenTtl:3600};'
    f = File("negatives/minified/app.min.js")
    f.neg(src2, "minified-identifiers", src2[:40])
    f = File("negatives/minified/app.min.js.map")
    mappings = ";".join(",".join(r(ALNUM + "+/", rng.randint(4, 8)) for _ in range(6)) for _ in range(20))
    f.neg(json.dumps({"version": 3, "sources": ["app.ts"], "names": ["password", "token"], "mappings": mappings}), "sourcemap", mappings[:40])

    # Default/local credentials in compose files and URLs.
    f = File("negatives/local/docker-compose.yml")
    for line in [
        "      POSTGRES_PASSWORD: postgres",
        "      MYSQL_ROOT_PASSWORD: root",
        "      RABBITMQ_DEFAULT_PASS: guest",
        "      DATABASE_URL: postgres://postgres:postgres@db:5432/app",
        "      AMQP_URL: amqp://guest:guest@rabbitmq:5672/",
        "      REDIS_URL: redis://redis:6379",
        "      MAILHOG_URL: smtp://mailhog:1025",
        "      SMTP_URL: smtp://localhost:1025",
    ]:
        f.neg(line, "local-default")

    # Sentry DSNs without a secret (public key only).
    f = File("negatives/observability/sentry.js")
    for _ in range(3):
        dsn = f"https://{r(HEX, 32)}@o{r(DIGITS, 6)}.ingest.sentry.io/{r(DIGITS, 7)}"
        f.neg(f"Sentry.init({{ dsn: '{dsn}' }});", "public-dsn", dsn)

    # Publishable / client-side keys that are meant to be public.
    f = File("negatives/public/keys.js")
    for line in [
        "const stripe = Stripe('pk_live_" + alnum(24) + "');",
        "const algolia = algoliasearch('" + r(UPPER + DIGITS, 10) + "', '" + r(HEX, 32) + "'); // search-only key",
        "mapboxgl.accessToken = 'pk.eyJ1Ijoibm9ydGh3aW5kIiwiYSI6I" + alnum(30) + "." + r(URLSAFE, 22) + "';",
        "const recaptchaSiteKey = '6L" + r(URLSAFE, 38) + "';",
        "posthog.init('phc_" + alnum(43) + "', { api_host: 'https://eu.posthog.com' });",
    ]:
        f.neg(line, "public-key")


EMAIL_TOKENS = [
    ("sendgrid.api-key", "SENDGRID_API_KEY", sendgrid_key),
    ("sendgrid.api-key", "SENDGRID_KEY", sendgrid_key),
    ("sendgrid.api-key", "MAIL_API_KEY", sendgrid_key),
    ("mailgun.api-key", "MAILGUN_API_KEY", lambda: "key-" + r(HEX, 32)),
    ("mailgun.api-key", "MG_KEY", lambda: "key-" + r(HEX, 32)),
    ("mailgun.private-api-key", "MAILGUN_API_KEY", mailgun_private),
    ("mailgun.private-api-key", "MAILGUN_PRIVATE_KEY", mailgun_private),
    ("mailchimp.api-key", "MAILCHIMP_API_KEY", lambda: r(HEX, 32) + f"-us{rng.randint(1, 21)}"),
    ("mailchimp.api-key", "MC_API_KEY", lambda: r(HEX, 32) + f"-us{rng.randint(1, 21)}"),
    ("mailchimp.transactional-key", "MANDRILL_API_KEY", lambda: "md-" + r(URLSAFE, 22)),
    ("mailchimp.transactional-key", "MAILCHIMP_TRANSACTIONAL_KEY", lambda: "md-" + r(URLSAFE, 22)),
    ("postmark.server-token", "POSTMARK_SERVER_TOKEN", uuid4),
    ("postmark.server-token", "POSTMARK_API_TOKEN", uuid4),
    ("postmark.account-token", "POSTMARK_ACCOUNT_TOKEN", uuid4),
    ("sparkpost.api-key", "SPARKPOST_API_KEY", lambda: r(HEX, 40)),
    ("sparkpost.api-key", "SPARKPOST_KEY", lambda: r(HEX, 40)),
    ("brevo.api-key", "BREVO_API_KEY", lambda: f"xkeysib-{r(HEX, 64)}-{r(ALNUM, 16)}"),
    ("brevo.api-key", "SENDINBLUE_API_KEY", lambda: f"xkeysib-{r(HEX, 64)}-{r(ALNUM, 16)}"),
    ("brevo.smtp-key", "BREVO_SMTP_KEY", lambda: f"xsmtpsib-{r(HEX, 64)}-{r(ALNUM, 16)}"),
    ("resend.api-key", "RESEND_API_KEY", lambda: f"re_{r(ALNUM, 8)}_{r(ALNUM, 24)}"),
    ("resend.api-key", "RESEND_KEY", lambda: f"re_{r(ALNUM, 8)}_{r(ALNUM, 24)}"),
    ("mailtrap.api-token", "MAILTRAP_API_TOKEN", lambda: r(HEX, 32)),
    ("mailtrap.api-token", "MAILTRAP_TOKEN", lambda: r(HEX, 32)),
    ("mailersend.api-token", "MAILERSEND_API_KEY", lambda: "mlsn." + r(HEX, 64)),
    ("mailersend.api-token", "MAILERSEND_TOKEN", lambda: "mlsn." + r(HEX, 64)),
    ("smtp2go.api-key", "SMTP2GO_API_KEY", lambda: "api-" + r(HEXU, 32)),
    ("smtp2go.api-key", "SMTP2GO_KEY", lambda: "api-" + r(HEXU, 32)),
    ("elasticemail.api-key", "ELASTICEMAIL_API_KEY", lambda: r(HEXU, 96)),
    ("elasticemail.api-key", "ELASTIC_EMAIL_KEY", lambda: r(HEXU, 96)),
    ("elasticemail.legacy-api-key", "ELASTIC_EMAIL_API_KEY", uuid4),
]


def email_tokens_corpus():
    """Email-provider keys once more in every file format (one file each)."""
    fmts = list(FORMATS)
    for i, (rule, name, gen) in enumerate(EMAIL_TOKENS):
        fmt = fmts[(i + 3) % len(fmts)]
        pattern, head, tail = FORMATS[fmt]
        f = File(f"email/formats/{name.lower()}_{i + 1}.{EXT[fmt]}")
        f.add(head)
        v = gen()
        f.pos(render(fmt, name, v), rule, v)
        if tail:
            f.add(tail)


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "accuracy")
    out = os.path.abspath(out)
    email_corpus()
    tokens_corpus()
    cloud_corpus()
    infra_corpus()
    keys_corpus()
    decoded_corpus()
    negatives_corpus()
    email_tokens_corpus()

    corpus = os.path.join(out, "corpus")
    if os.path.isdir(corpus):
        shutil.rmtree(corpus)
    for path, f in FILES.items():
        full = os.path.join(corpus, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w", newline="\n") as fh:
            fh.write("\n".join(f.lines).rstrip("\n") + "\n")
    with open(os.path.join(out, "labels.tsv"), "w", newline="\n") as fh:
        fh.write("path\tline\trule_id\tdecoded\tsecret\n")
        for path, line, rule, decoded, secret in sorted(LABELS, key=lambda x: (x[0], x[1], x[2])):
            fh.write(f"{path}\t{line}\t{rule}\t{decoded}\t{esc(secret)}\n")
    with open(os.path.join(out, "negatives.tsv"), "w", newline="\n") as fh:
        fh.write("path\tline\tkind\tvalue\n")
        for path, line, kind, value in sorted(NEGATIVES, key=lambda x: (x[0], x[1])):
            fh.write(f"{path}\t{line}\t{kind}\t{esc(value)}\n")
    pos = sum(1 for x in LABELS if x[3] == "no")
    dec = sum(1 for x in LABELS if x[3] == "yes")
    print(f"{len(FILES)} files, {pos} positives (+{dec} decoded), {len(NEGATIVES)} hard negatives -> {out}")


if __name__ == "__main__":
    main()
