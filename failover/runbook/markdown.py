"""The runbook as Markdown: the sections for the operator, from the facts and commands.

One section to find the vendor, one with the service at a glance, then per vendor:
recognise, evacuate, verify, what goes with it, the standby, afterwards, returning,
rolling back, and its last drill. Shell commands stand in fenced ``sh`` blocks under
fixed headings, so that they can be copied whole and tested as written.
"""

from __future__ import annotations

from typing import Any

from failover.config import (
    AwsControl,
    GcpControl,
    HttpControl,
    PathBackup,
    Rfc2136Provider,
    Route53Provider,
    S3Backup,
    SshControl,
)
from failover.dns import handbook
from failover.errors import EXIT_REFUSED
from failover.health import HEALTHY
from failover.records import absolute_name
from failover.reports.mdtext import md
from failover.runbook.commands import Commands
from failover.runbook.facts import Facts, stamp


class Markdown:
    """The runbook's sections, each a list of Markdown lines."""

    def __init__(self, facts: Facts, commands: Commands) -> None:
        self.config = facts.config
        self.facts = facts
        self.sh = commands

    # -- the whole book ------------------------------------------------------------------

    def render(self, only: str | None) -> str:
        cfg = self.config
        out = [f"# Runbook: {cfg.service} ({cfg.zone.rstrip('.')})", "",
               f"Generated {stamp(self.facts.now)} by `failover runbook` from `{self.facts.path}`"
               + (f" and the journal `{self.facts.journal.path}`." if self.facts.journal else
                  " (no journal yet: no verdicts or drills to quote)."),
               "Regenerate it after every config change: "
               f"`{self.sh.cmd('runbook', '-o', 'RUNBOOK.md')}`",
               "",
               "**Read this first.** `failover` moves this service's DNS answers away from a "
               "vendor (a cloud, a colo) that stopped serving us, at every DNS provider at once, "
               "and checks each authoritative server serves the new answers. Copy each command "
               "whole, one line at a time. Exit codes: **0** OK, **1** WARNING, **2** CRITICAL, "
               "**3** bad input or nobody to confirm. Commands that write DNS print their plan "
               "first; `--yes` applies it without asking. Nothing here needs a password typed: "
               "secrets come from the files and variables the config names.", ""]
        out += self.triage(only)
        out += self.glance()
        for v in self.facts.vendors(only):
            out += self.vendor(v)
        return "\n".join(out).rstrip() + "\n"

    def triage(self, only: str | None) -> list[str]:
        cfg = self.config
        out = ["## 0. Which vendor is it?", "",
               "1. See what every hosting and vendor says now:", "",
               "```sh", self.sh.cmd("check"), "```", "",
               "   Expect one line per hosting (VERDICT and EVIDENCE) and per vendor with a "
               "control plane. Exit **2** with a hosting `DOWN` or `TERMINATED`: that "
               "hosting's vendor is the one; go to its section below. Exit **0**: everything "
               "answers, nothing to evacuate. Exit **1**: something is `DEGRADED` (failing, "
               f"not yet `fall`={cfg.fall} times in a row): run it again in "
               f"{cfg.interval:g} s. If the only warning left is a `pin` row (an operator's "
               "move or `pause`; it says until when), nothing needs evacuating: the pin is "
               "why the watchers wait; a pinned hosting that goes DOWN is exit **2**.", "",
               "| vendor | hostings | DNS providers | control plane | section |",
               "| --- | --- | --- | --- | --- |"]
        for v in self.facts.vendors(only):
            spec = cfg.vendors[v]
            hostings = ", ".join(cfg.hostings_of(v)) or "-"
            dns = ", ".join(n for n, p in cfg.dns.items() if p.vendor == v) or "-"
            control = spec.control.kind if spec.control is not None else "none"
            out.append(f"| {v} | {hostings} | {dns} | {control} | [Vendor {v}](#vendor-{v}) |")
        out.append("")
        return out

    def glance(self) -> list[str]:
        cfg = self.config
        records = ", ".join(f"`{absolute_name(r.name, cfg.zone)} {r.type}`" for r in cfg.records)
        out = ["## The service at a glance", "",
               f"- Managed records (the only ones failover changes): {records}; TTL "
               f"{cfg.ttl} s, so resolvers may keep an old answer up to {cfg.ttl} s after a "
               "move.",
               f"- Policy: {cfg.policy.mode}; checks every {cfg.interval:g} s, DOWN after "
               f"{cfg.fall} failed checks in a row, UP again after {cfg.rise} good ones.",
               f"- Journal (every check, move and before-image): `{cfg.journal_path()}`", "",
               "| hosting | vendor | priority | endpoints | last verdict |",
               "| --- | --- | ---: | --- | --- |"]
        for name, h in sorted(cfg.hosting.items(), key=lambda kv: (kv[1].priority, kv[0])):
            out.append(f"| {name} | {h.vendor} | {h.priority} | {self.facts.endpoints(name)} | "
                       f"{self.facts.verdict(name)} |")
        out += ["", "| DNS provider | vendor | kind | where |", "| --- | --- | --- | --- |"]
        for name, p in cfg.dns.items():
            if isinstance(p, Rfc2136Provider):
                where = f"{p.server} port {p.port} (RFC 2136)"
            elif isinstance(p, Route53Provider):
                where = f"hosted zone {p.hosted_zone_id}" + \
                        (f" at {p.endpoint_url}" if p.endpoint_url else "")
            else:
                where = handbook.where(p)
            out.append(f"| {name} | {p.vendor} | {p.kind} | {where} |")
        out.append("")
        return out

    # -- one vendor ---------------------------------------------------------------------

    def vendor(self, v: str) -> list[str]:
        cfg = self.config
        hostings = cfg.hostings_of(v)
        out = [f"## Vendor {v}", ""]
        if cfg.vendors[v].description:
            out += [cfg.vendors[v].description, ""]
        if v in self.facts.terminated:
            since, why = self.facts.terminated[v]
            out += [f"> **{v} is marked TERMINATED in the journal since {stamp(since)}** "
                    f"({md(why)}): failover will not serve it again until `failover reinstate "
                    f"{v}`.", ""]
        out += self.recognise(v, hostings)
        if hostings:
            out += self.evacuate(v)
            out += self.verify(v)
        else:
            out += ["### 2. Evacuate", "",
                    f"{v} runs no hosting, only DNS: nothing to evacuate. Every move writes "
                    f"the other DNS providers; see 'What else goes with {v}'.", ""]
        out += self.goes_with(v)
        out += self.standby(v)
        out += self.afterwards(v)
        if hostings:
            out += self.roll_back(v)
        out += self.last_drill(v)
        return out

    def recognise(self, v: str, hostings: list[str]) -> list[str]:
        cfg = self.config
        out = [f"### 1. Recognise it: what {v} cutting us off looks like", ""]
        if hostings:
            probes = "; ".join(_check_text(c) for c in cfg.checks) or "no checks configured"
            out += [f"- **Data plane**: `failover check` probes {', '.join(hostings)} "
                    f"({probes}). When {v} stops serving, those probes fail with evidence "
                    "such as `connection refused`, `timeout` or an unexpected status: the "
                    f"hosting is `DEGRADED` after the first failed check and `DOWN` after "
                    f"{cfg.fall} in a row (a watcher checking every {cfg.interval:g} s sees "
                    f"it within about {cfg.fall * cfg.interval:g} s; each `failover check` "
                    "run by hand counts one)."]
        control = cfg.vendors[v].control
        same = ("outage and termination look the same from outside: the hostings go `DOWN` "
                "and nothing says whether the account still exists. Look for a notice from "
                f"{v} (mail, console, status page); evacuate either way once it is DOWN, and "
                "roll back only when you know it was an outage that ended.")
        if control is None:
            out.append(f"- **Control plane**: none configured (no `control:` block for {v}), "
                       f"so {same}")
        elif isinstance(control, SshControl):
            out.append(f"- **Control plane** (ssh): {_refusal(control)} So {same}")
        else:
            out.append(f"- **Control plane** ({control.kind}): `failover check` also asks "
                       f"{v}'s API whether our account is alive. {_refusal(control)} Refusal "
                       f"plus a DOWN data plane makes the hostings `TERMINATED`: failover "
                       f"evacuates {v} and never serves it again until `failover reinstate "
                       f"{v}`. Refusal while the hostings still answer shows as a WARNING "
                       "(\"termination in progress?\"): evacuate now, before the machines go.")
        out.append("")
        return out

    def evacuate(self, v: str) -> list[str]:
        serve, answers, note = self.facts.expected(v)
        if serve:
            target = ", ".join(serve)
            shown = "; ".join(f"{t} {', '.join(a)}" for t, a in answers.items()) or \
                "their addresses"
            expect = (f"every managed name should move to **{target}** ({shown}), going by "
                      f"the journal's last verdicts{note}")
        else:
            expect = (f"there is **no healthy hosting outside {v}**{note}: the plan keeps "
                      "what is served and exits 2. Do not force it; see 'Standby' below")
        tolerated = [n for n, p in self.config.dns.items() if p.vendor == v]
        exit1 = (f"Exit **1**: done, but {v}'s own DNS provider ({', '.join(tolerated)}) could "
                 f"not be written: expected when {v} is gone; the other providers serve the new "
                 "answers. " if tolerated else "")
        return [f"### 2. Evacuate {v}", "",
                "1. Review the plan (writes nothing):", "",
                "```sh", self.sh.cmd("plan", "--off", v), "```", "",
                f"   Expect exit **0**, a diff per DNS provider (`~` update, `+` create, `-` "
                f"delete) and a last line `Checksum: ...`; {expect}.", "",
                "2. Move: write every DNS provider at once and verify each authoritative "
                "server:", "",
                "```sh", self.sh.cmd("move", "--off", v, "--yes"), "```", "",
                "   To apply exactly the plan you reviewed instead, add `--checksum` with the "
                f"checksum it printed: `{self.sh.cmd('move', '--off', v, '--checksum')} "
                "CHECKSUM --yes` (it refuses, exit 3, if anything changed since).", "",
                "   Expect exit **0** and `move N done in ...`, with every provider `applied` "
                "and a `VERIFIED AT` time per authoritative server. " + exit1 +
                "Exit **2**: a provider failed or did not verify: go on with step 3 and keep "
                "its output. Exit **3** `another move is running`: wait a minute and run step "
                "3; nothing was written.", ""]

    def verify(self, v: str) -> list[str]:
        cfg = self.config
        _serve, answers, _note = self.facts.expected(v)
        out = [f"### 3. Verify that {v} is off", "",
               "Ask every DNS provider directly what it serves:", "", "```sh",
               self.sh.cmd("status")]
        expects = ["`failover status`: exit **0** with `AGREE yes` on every managed record "
                   "(exit 1: a provider is unreachable or they disagree)"]
        names = [(absolute_name(r.name, cfg.zone), r.type) for r in cfg.records]
        lines, said = self.sh.verify_lines(names)
        out += lines
        expects += said
        out += ["```", ""]
        shown = "; ".join(f"{t} `{' '.join(a)}`" for t, a in answers.items())
        if shown:
            expects.append(f"the new answers, going by the journal's last verdicts: {shown}")
        out += [f"- {e}" for e in expects]
        out += ["", f"Resolvers that cached the old answer keep it up to the TTL ({cfg.ttl} s)."
                " Reachability through your own browser can lag that long.", ""]
        return out

    def goes_with(self, v: str) -> list[str]:
        cfg = self.config
        out = [f"### 4. What else goes with {v}", ""]
        dns = [n for n, p in cfg.dns.items() if p.vendor == v]
        if dns:
            if cfg.delegation is not None and cfg.delegation.registrars:
                plan = self.sh.cmd("delegation", "plan", "--off", v)
                how = (f"Take their name servers out of the delegation of "
                       f"{cfg.zone.rstrip('.')}: `{plan}`, "
                       f"then `{self.sh.cmd('delegation', 'move', '--off', v)}` (undo: "
                       f"`{self.sh.cmd('delegation', 'rollback')}`), so that resolvers stop "
                       "asking them.")
            else:
                how = (f"Ask the registrar to remove their name servers from the delegation "
                       f"of {cfg.zone.rstrip('.')}, so that resolvers stop asking them.")
            out.append(f"- **DNS providers at {v}: {', '.join(dns)}.** They may stop answering "
                       f"or lose the zone; every move still writes the others and reports "
                       f"these as tolerated (exit 1). {how}")
        else:
            out.append(f"- DNS providers at {v}: none; the zone keeps being served.")
        backups = [(n, b) for n, b in cfg.backups.items() if b.vendor == v]
        if backups:
            for n, b in backups:
                out.append(f"- **Backup {n}** ({_backup_text(b)}) is at {v} and goes with it: "
                           "the standby must restore from a copy elsewhere.")
        else:
            out.append(f"- Backups at {v}: none in the config.")
        others = [(n, b) for n, b in cfg.backups.items() if b.vendor != v]
        if others:
            out.append("- Backups that remain: " + "; ".join(
                f"{n} at {b.vendor} ({_backup_text(b)}, RPO {_span(b.rpo)})" for n, b in others))
        services = cfg.vendors[v].services
        if services:
            out.append(f"- **Also gone with {v}** (not handled by failover; switch these by "
                       f"hand): {', '.join(services)}.")
        else:
            out.append(f"- Other services at {v} (`vendors.{v}.services`): none listed.")
        from failover.saas.report import runbook_lines

        out += runbook_lines(cfg, v)
        out.append("")
        return out

    def standby(self, v: str) -> list[str]:
        cfg = self.config
        out = [f"### 5. Standby capacity that remains without {v}", ""]
        rest = sorted(((n, h) for n, h in cfg.hosting.items() if h.vendor != v),
                      key=lambda kv: (kv[1].priority, kv[0]))
        if not rest:
            out += [f"**Nothing**: every hosting is at {v}. A move is impossible; failover "
                    "keeps what is served (exit 2). Stand the service up elsewhere first.", ""]
            return out
        out += ["| hosting | vendor | priority | endpoints | last verdict |",
                "| --- | --- | ---: | --- | --- |"]
        for n, h in rest:
            out.append(f"| {n} | {h.vendor} | {h.priority} | {self.facts.endpoints(n)} | "
                       f"{self.facts.verdict(n)} |")
        healthy = [n for n, _h in rest
                   if self.facts.states.get(n) is None or self.facts.states[n].verdict in HEALTHY]
        dns = [n for n, p in cfg.dns.items() if p.vendor != v]
        out += ["", f"Lower priority wins ({cfg.policy.mode}). "
                f"{len(healthy)} of {len(rest)} standby hostings were healthy at their last "
                "check" + (f"; at least {cfg.policy.min_healthy} must be "
                           "(policy.min_healthy)." if cfg.policy.min_healthy > 1 else ".")
                + (f" DNS providers that remain: {', '.join(dns)}." if dns else
                   f" **No DNS provider remains outside {v}**: nothing can be moved once "
                   "it is gone."), ""]
        return out

    def afterwards(self, v: str) -> list[str]:
        out = [f"### 6. Afterwards (after evacuating {v})", "",
               f"1. `{self.sh.cmd('check')}`: exit **1** while {v}'s hostings stay DOWN and "
               "are no longer served is expected (and the move's `pin` row); every other "
               "hosting should be UP. Exit **2** means users still reach a DOWN hosting: "
               "step 3 again.",
               f"2. `{self.sh.cmd('history')}`: the move is listed `done`; "
               f"`{self.sh.cmd('status')}` shows every provider agreeing.",
               f"3. If {v} was marked TERMINATED, failover never serves it again by itself. "
               f"Run `{self.sh.cmd('reinstate', v)}` only when {v} has confirmed in writing that "
               "the account is restored, its machines are redeployed and `failover check` "
               "shows them UP; then roll back (below) if you want the traffic there.",
               "4. Tell the people who own the services listed in step 4, and write down the "
               "times: the journal has them (`failover history`).",
               f"5. Hand the decision back to the watchers: `{self.sh.cmd('resume')}`. The "
               "move pinned what it serves (the pin expires by itself after "
               f"`pins.move_expires`, {_minutes(self.config.pins.move_expires)}); once resumed, a "
               "watcher moves away by itself if the hosting now served goes DOWN.", ""]
        return out

    def roll_back(self, v: str) -> list[str]:
        cfg = self.config
        out = [f"### 7. Before returning to {v}", "",
               f"Only when {v} is back and it was an outage, not a termination. Run "
               f"`{self.sh.cmd('check')}` until {_each(cfg.hostings_of(v))} UP: a DOWN "
               f"hosting needs {cfg.rise} good checks in a row (`rise`), so run it "
               f"{cfg.rise} times, {cfg.interval:g} s apart. While it says `recovering` or "
               "DOWN, stay where you are.", "",
               "### 8. Roll back (return the answers to what they were before the move)", "",
               "```sh", self.sh.cmd("rollback", "--yes"), "```", "",
               "Expect exit **0** and `rollback N done`: every provider serves again what it "
               "served before the newest move not yet rolled back (name one with "
               f"`{self.sh.cmd('rollback')} MOVE_ID --yes`; ids in `failover history`). If it "
               f"exits **{EXIT_REFUSED}** saying a hosting it would serve again is DOWN or "
               f"TERMINATED, do not force it: {v} is not back, so stay where you are (step 7). "
               f"Then run step 3 again: the answers from before the move should be back ({v}'s "
               f"own addresses, {self.facts.addresses(v)}, if {v} was serving then). Last, "
               f"`{self.sh.cmd('resume')}`: the rollback pinned its answers too, and "
               "automatic failover works again only once the pin is gone.", ""]
        return out

    def last_drill(self, v: str) -> list[str]:
        from failover.drill import last_drill

        found = last_drill(self.facts.drills, v)
        out = [f"### 9. The last drill of {v}", ""]
        if found is None:
            out += [f"No drill of {v} in the journal. See the plan without touching anything: "
                    f"`{self.sh.cmd('drill', '--vendor', v, '--simulate')}`.", ""]
            return out
        t = found.get("totals") or {}
        conf = found.get("config") or {}
        out.append(f"{stamp(float(found.get('at') or 0))}, {found.get('mode')}, "
                   f"**{md(found.get('outcome'))}**: {md(found.get('sentence', ''))}.")
        out += ["", "| phase | seconds |", "| --- | ---: |"]
        for p in found.get("phases") or []:
            out.append(f"| {md(p.get('label'))}{'' if p.get('ok') else ' (FAILED)'} | "
                       f"{float(p.get('seconds') or 0):.3f} |")
        for key, text in (("evacuate", "evacuated (fault to every authority verified)"),
                          ("failback", "failback")):
            if t.get(key) is not None:
                out.append(f"| **{text}** | **{float(t[key]):.3f}** |")
        out += ["", f"Measured with interval {conf.get('interval')} s, fall {conf.get('fall')}, "
                f"rise {conf.get('rise')}. In an incident add the time until someone runs step "
                "2 (or until `failover watch` moves, if policy.auto_move is on).", ""]
        return out


# -- text helpers --------------------------------------------------------------------------

def _span(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g} {unit}"
    return f"{seconds:g} s"


def _each(names: list[str]) -> str:
    return f"{names[0]} shows" if len(names) == 1 else f"each of {', '.join(names)} shows"


def _check_text(check: Any) -> str:
    kind = check.kind
    if kind in ("http", "https"):
        port = f" port {check.port}" if check.port else ""
        return f"{kind} {check.path}{port}, expecting {check.expect_status}" + \
            (f" and '{check.body_contains}'" if check.body_contains else "")
    if kind == "tcp":
        return f"tcp port {check.port}"
    if kind == "tls":
        return f"tls port {check.port}, certificate valid {check.min_days_left}+ days"
    return f"dns {check.qname} {check.rdtype}"


def _refusal(control: Any) -> str:
    if isinstance(control, AwsControl):
        from failover.control.aws import TERMINATION_CODES

        return (f"Termination evidence (`refused`): STS GetCallerIdentity or EC2 answering one "
                f"of {', '.join(f'`{c}`' for c in TERMINATION_CODES)} (region "
                f"{control.region}). Throttling, timeouts and our own expired keys say "
                "`unknown`, never termination.")
    if isinstance(control, GcpControl):
        from failover.control.gcp import TERMINATION_REASONS

        return (f"Termination evidence (`refused`): project {control.project} not ACTIVE "
                f"(e.g. `DELETE_REQUESTED`), billing disabled, HTTP 401 for a revoked "
                f"credential, or a reason among {', '.join(f'`{r}`' for r in TERMINATION_REASONS)}."
                " An expired access token says `unknown`.")
    if isinstance(control, HttpControl):
        body = (f" or a body containing {', '.join(repr(b) for b in control.terminated_body)}"
                if control.terminated_body else "")
        return (f"Termination evidence (`refused`): {control.method} {control.url} answering "
                f"HTTP {', '.join(str(s) for s in control.terminated_status)}{body}. 5xx, 429 "
                "and timeouts say `unknown`.")
    if isinstance(control, SshControl):
        return (f"`failover check` reads the SSH banner of {control.host}:{control.port}, "
                "which can say `alive` or `unknown` but never `refused`.")
    return ""


def _backup_text(backup: Any) -> str:
    if isinstance(backup, S3Backup):
        return f"s3://{backup.bucket}/{backup.prefix}"
    if isinstance(backup, PathBackup):
        return f"{backup.path}/{backup.pattern}"
    return str(backup.kind)


def _minutes(seconds: float) -> str:
    """'30 min', '2 h' for a duration in the runbook."""
    return f"{seconds / 3600:g} h" if seconds >= 3600 else f"{seconds / 60:g} min"
