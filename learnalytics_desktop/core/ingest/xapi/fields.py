"""From a validated statement to the typed columns the store keeps.

Decisions written down here:

* **Actors.**  The canonical inverse functional identifier (``ifi``) is
  ``mbox:mailto:<address>`` with the whole address lower-cased (mail systems treat the local
  part case-insensitively in practice, and one student must not become two), then
  ``mbox_sha1sum:<hex>``, ``openid:<uri>``, ``account:<homePage>|<name>``.  ``email`` is the
  address and ``email_sha1`` the SHA-1 of ``mailto:<address>``; an ``mbox_sha1sum`` actor has
  its hash in ``email_sha1`` too, so a gradebook e-mail matches both kinds by one column.
  Groups: ``group:<ifi>`` for identified groups, ``group:anon:<hash of the members>`` for
  anonymous ones.  With pseudonymisation the ifi is replaced by ``pseudo:<HMAC>`` and no
  name, e-mail or hash is kept (see ``pseudonym``).
* **Time.**  ``ts`` is the timestamp, else the LRS ``stored`` time, else the import's start
  (an LRS would set the timestamp to the time it received the statement).
* **Course.**  The first activity in ``context.contextActivities.parent``, then ``grouping``,
  whose ``definition.type`` is a course type, else the object itself when it is a course,
  else the fallback course the user set, else none.
* **Names.**  From a language map: ``en-US``, ``en``, any ``en-*``, else the first entry.
* **Late flag.**  From a result or context extension whose key is in a configurable set of
  IRIs or ends with a configurable suffix (default ``/late``, ``/is-late``, ...); ``true``,
  ``1``, ``"yes"`` count as late, ``false``, ``0``, ``"no"`` as on time, anything else as
  unknown (NULL).
* ``response`` is kept up to 4,000 characters, except in pseudonymised imports: it is free
  text a learner typed and may name them, so it is not stored there.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "COURSE_TYPES",
    "LATE_SUFFIXES",
    "VOIDED_VERB",
    "ExtractConfig",
    "Extractor",
    "email_ifi",
    "pick_name",
]

VOIDED_VERB = "http://adlnet.gov/expapi/verbs/voided"
COURSE_TYPES = frozenset(
    {
        "http://adlnet.gov/expapi/activities/course",
        "https://w3id.org/xapi/cmi5/activitytype/course",
        "http://id.tincanapi.com/activitytype/lms/course",  # Moodle logstore_xapi
        "https://w3id.org/xapi/acrossx/activities/course",
    }
)
LATE_SUFFIXES = ("/late", "/is-late", "/islate", "/submitted-late", "/late-submission", "#late")
_TRUE = frozenset({"true", "yes", "1", "late"})
_FALSE = frozenset({"false", "no", "0", "on-time", "ontime"})
RESPONSE_MAX = 4000


@dataclass(frozen=True)
class ExtractConfig:
    """What the extraction needs besides the statement (picklable for worker processes)."""

    now_ms: int
    pseudonym_key: bytes | None = None
    course_fallback: str | None = None
    course_types: frozenset[str] = COURSE_TYPES
    late_iris: frozenset[str] = field(default_factory=frozenset)
    late_suffixes: tuple[str, ...] = LATE_SUFFIXES


def pick_name(langmap: Any) -> str | None:
    """The English name of a language map if there is one, else its first entry."""
    if type(langmap) is not dict or not langmap:
        return None
    for key in ("en-US", "en", "en-GB"):
        value = langmap.get(key)
        if type(value) is str:
            return value
    for key, value in langmap.items():
        if type(key) is str and key.lower().startswith("en") and type(value) is str:
            return value
    for value in langmap.values():
        if type(value) is str:
            return value
    return None


def email_ifi(email: str) -> str:
    """The canonical ifi of an e-mail address (for matching gradebooks and rosters)."""
    address = email.strip()
    if address[:7].lower() == "mailto:":
        address = address[7:]
    return "mbox:mailto:" + address.lower()


def _sha1_mailto(address: str) -> str:
    return hashlib.sha1(("mailto:" + address).encode("utf-8"), usedforsecurity=False).hexdigest()


Identity = tuple[str, str, str, str | None, str | None, str | None]  # ifi kind label name email sha1


class Extractor:
    """Turns statements into row tuples and collects the actors, verbs, activities, courses seen."""

    def __init__(self, config: ExtractConfig) -> None:
        self.cfg = config
        self._identities: dict[tuple[Any, ...], Identity] = {}
        self.actors: dict[str, tuple[str, str, str | None, str | None, str | None]] = {}
        self.verbs: dict[str, str | None] = {}
        self.activities: dict[str, tuple[str | None, str | None]] = {}
        self.courses: dict[str, str | None] = {}
        # Repeated IRIs are handed out as one string object, so that pickling a batch of
        # rows for the importer sends each of them once (pickle memoises by identity).
        self._strings: dict[str, str] = {}
        self._late_keys: dict[str, bool] = {}

    def take_entities(self) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], dict[str, Any]]:
        """The entities collected since the last call (and forget them)."""
        out = (self.actors, self.verbs, self.activities, self.courses)
        self.actors, self.verbs, self.activities, self.courses = {}, {}, {}, {}
        return out

    # -- actors ---------------------------------------------------------------------------

    def identity(self, agent: dict[str, Any]) -> Identity:
        """(ifi, kind, label, name, email, email_sha1) of an Agent or Group, cached."""
        if agent.get("objectType") == "Group" and not _has_ifi(agent):
            return self._plain_identity(agent)  # anonymous: depends on the members
        acct = agent.get("account")
        key = (
            agent.get("objectType"),
            agent.get("mbox"),
            agent.get("mbox_sha1sum"),
            agent.get("openid"),
            (acct.get("homePage"), acct.get("name")) if type(acct) is dict else None,
            agent.get("name"),
        )
        ident = self._identities.get(key)
        if ident is None:
            ident = self._plain_identity(agent)
            if len(self._identities) > 200_000:
                self._identities.clear()
            self._identities[key] = ident
        return ident

    def _plain_identity(self, agent: dict[str, Any]) -> Identity:
        name = agent.get("name") if type(agent.get("name")) is str else None
        if agent.get("objectType") == "Group":
            if _has_ifi(agent):
                ifi, _kind, label, _n, _e, _s = self._ifi(agent, None)
                ident: Identity = ("group:" + ifi, "group", name or label, name, None, None)
            else:
                members = sorted(
                    self._plain_identity(m)[0] for m in agent.get("member") or [] if type(m) is dict
                )
                digest = hashlib.sha256("\n".join(members).encode("utf-8")).hexdigest()[:32]
                ident = (
                    "group:anon:" + digest,
                    "group",
                    name or f"group of {len(members)}",
                    name,
                    None,
                    None,
                )
        else:
            ident = self._ifi(agent, name)
        key = self.cfg.pseudonym_key
        if key is not None:
            from learnalytics_desktop.core.ingest.pseudonym import pseudonymize_ifi

            pseudo = pseudonymize_ifi(key, ident[0])
            ident = (pseudo, "pseudo", pseudo[7:19], None, None, None)
        return ident

    @staticmethod
    def _ifi(agent: dict[str, Any], name: str | None) -> Identity:
        mbox = agent.get("mbox")
        if type(mbox) is str:
            address = (mbox[7:] if mbox[:7].lower() == "mailto:" else mbox).lower()
            return ("mbox:mailto:" + address, "mbox", address, name, address, _sha1_mailto(address))
        sha = agent.get("mbox_sha1sum")
        if type(sha) is str:
            sha = sha.lower()
            return ("mbox_sha1sum:" + sha, "mbox_sha1sum", sha, name, None, sha)
        openid = agent.get("openid")
        if type(openid) is str:
            return ("openid:" + openid, "openid", openid, name, None, None)
        acct = agent.get("account")
        if type(acct) is dict:
            home, acct_name = str(acct.get("homePage")), str(acct.get("name"))
            return (f"account:{home}|{acct_name}", "account", acct_name, name, None, None)
        raise ValueError("agent has no inverse functional identifier")

    # -- the row --------------------------------------------------------------------------

    def row(
        self,
        s: dict[str, Any],
        sid: str,
        digest: bytes,
        ts: int | None,
        stored_ts: int | None,
        duration: float | None,
    ) -> tuple[Any, ...]:
        """The statement's row tuple (see ``writer.ROW_FIELDS`` for the order).

        ``ts``, ``stored_ts`` and ``duration`` are the parsed ``timestamp``, ``stored`` and
        ``result.duration`` (the validator returns them).
        """
        cfg = self.cfg
        ident = self.identity(s["actor"])
        ifi = ident[0]
        if ifi not in self.actors:
            self.actors[ifi] = ident[1:]
        intern = self._strings.setdefault
        if len(self._strings) > 100_000:
            self._strings.clear()
        verb = s["verb"]
        verb_iri = intern(verb["id"], verb["id"])
        if verb_iri not in self.verbs:
            self.verbs[verb_iri] = pick_name(verb.get("display"))
        obj = s["object"]
        kind = obj.get("objectType", "Activity")
        obj_iri = None
        obj_type = None
        void_target = None
        if kind == "Activity":
            obj_iri = intern(obj["id"], obj["id"])
            definition = obj.get("definition")
            if type(definition) is dict:
                obj_type = definition.get("type")
                known = self.activities.get(obj_iri)
                if (
                    known is None
                    or (known[0] is None and obj_type)
                    or (known[1] is None and definition.get("name"))
                ):
                    self.activities[obj_iri] = (obj_type, pick_name(definition.get("name")))
            elif obj_iri not in self.activities:
                self.activities[obj_iri] = (None, None)
        elif kind == "StatementRef" and verb_iri == VOIDED_VERB:
            void_target = obj["id"].lower()
        course = self._course(s.get("context"), obj_iri, obj_type, obj)
        if course is not None:
            course = intern(course, course)
        if ts is None:
            ts = stored_ts if stored_ts is not None else cfg.now_ms
        result = s.get("result")
        raw = smin = smax = scaled = success = completion = response = None
        late = None
        if type(result) is dict:
            score = result.get("score")
            if type(score) is dict:
                raw, smin, smax, scaled = (
                    score.get("raw"),
                    score.get("min"),
                    score.get("max"),
                    score.get("scaled"),
                )
            if "success" in result:
                success = int(result["success"])
            if "completion" in result:
                completion = int(result["completion"])
            resp = result.get("response")
            if type(resp) is str and cfg.pseudonym_key is None:
                response = resp[:RESPONSE_MAX]
            ext = result.get("extensions")
            if ext:
                late = self._late(ext)
        ctx = s.get("context")
        registration = None
        if type(ctx) is dict:
            reg = ctx.get("registration")
            if type(reg) is str:
                registration = reg.lower()
            if late is None and ctx.get("extensions"):
                late = self._late(ctx["extensions"])
        return (
            sid,
            digest,
            ifi,
            verb_iri,
            obj_iri,
            kind,
            course,
            ts,
            stored_ts,
            duration,
            raw,
            smin,
            smax,
            scaled,
            success,
            completion,
            response,
            registration,
            late,
            void_target,
        )

    def _course(self, ctx: Any, obj_iri: str | None, obj_type: str | None, obj: dict[str, Any]) -> str | None:
        types = self.cfg.course_types
        if type(ctx) is dict:
            ca = ctx.get("contextActivities")
            if type(ca) is dict:
                for key in ("parent", "grouping"):
                    acts = ca.get(key)
                    if type(acts) is dict:
                        acts = [acts]
                    if not acts:
                        continue
                    for a in acts:
                        d = a.get("definition") if type(a) is dict else None
                        if type(d) is dict and d.get("type") in types:
                            iri: str = a["id"]
                            if self.courses.get(iri) is None:
                                self.courses[iri] = pick_name(d.get("name"))
                            return iri
        if obj_iri is not None and obj_type in types:
            if self.courses.get(obj_iri) is None:
                self.courses[obj_iri] = pick_name(obj["definition"].get("name"))
            return obj_iri
        fallback = self.cfg.course_fallback
        if fallback is not None and fallback not in self.courses:
            self.courses[fallback] = None
        return fallback

    def _late(self, ext: dict[str, Any]) -> int | None:
        cfg = self.cfg
        known = self._late_keys
        for key, value in ext.items():
            is_late = known.get(key)
            if is_late is None:
                is_late = known[key] = key in cfg.late_iris or key.endswith(cfg.late_suffixes)
                if len(known) > 10_000:
                    known.clear()
            if is_late:
                flag = _flag(value)
                if flag is not None:
                    return flag
        return None


def _flag(value: Any) -> int | None:
    if value is True or value is False:
        return int(value)
    if type(value) is int and value in (0, 1):
        return value
    if type(value) is str:
        low = value.strip().lower()
        if low in _TRUE:
            return 1
        if low in _FALSE:
            return 0
    return None


def _has_ifi(agent: dict[str, Any]) -> bool:
    return any(k in agent for k in ("mbox", "mbox_sha1sum", "openid", "account"))
