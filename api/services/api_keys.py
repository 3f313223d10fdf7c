"""API keys: made with `whydenied keys create`, stored as SHA-256 hashes, checked in constant time.

A key is 32 random bytes (URL-safe base64) behind the prefix `wdk_`, so secret scanners and our
own redaction can recognise one in a paste. Only the hash is stored: a stolen database yields no
usable key. The hash is a plain SHA-256, not a password hash, because the key has 256 bits of
entropy; nothing is gained by slowing the lookup.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from typing import Final

from sqlalchemy import Engine
from sqlmodel import Session, select

from api.models import ApiKeyRecord

KEY_PREFIX: Final = "wdk_"


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(engine: Engine, name: str) -> tuple[ApiKeyRecord, str]:
    """Store a new key under a name; return its record and the key, which is shown only this once."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    record = ApiKeyRecord(name=name[:128], prefix=key[:10], key_hash=_hash(key))
    with Session(engine) as session:
        session.add(record)
        session.commit()
        session.refresh(record)
    return record, key


def list_keys(engine: Engine) -> list[ApiKeyRecord]:
    """Return every key, oldest first, revoked ones included."""
    with Session(engine) as session:
        return list(session.exec(select(ApiKeyRecord).order_by(ApiKeyRecord.id)))  # type: ignore[arg-type]


def revoke_key(engine: Engine, key_id: int) -> bool:
    """Revoke a key by id; return False when there is no such key."""
    with Session(engine) as session:
        record = session.get(ApiKeyRecord, key_id)
        if record is None:
            return False
        if record.revoked_at is None:
            record.revoked_at = dt.datetime.now(dt.UTC)
            session.add(record)
            session.commit()
        return True


def is_valid_key(session: Session, presented: str) -> bool:
    """Tell whether a presented key is a live (unrevoked) one."""
    if not presented.startswith(KEY_PREFIX) or len(presented) > 100:
        return False
    digest = _hash(presented)
    record = session.exec(select(ApiKeyRecord).where(ApiKeyRecord.key_hash == digest)).first()
    # The lookup is by hash, so timing reveals nothing about the key; compare_digest is belt and braces.
    return record is not None and record.revoked_at is None and hmac.compare_digest(record.key_hash, digest)
