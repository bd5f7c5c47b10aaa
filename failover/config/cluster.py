"""The cluster: watchers on several vendors sharing state through etcd."""

from typing import Literal, Self

from pydantic import Field, field_validator, model_validator

from failover.config.base import Duration, Strict


class ClusterTls(Strict):
    """Client TLS to etcd: the CA that signed the members' certificates, and ours."""

    ca_file: str
    cert_file: str | None = None
    key_file: str | None = None

    @model_validator(mode="after")
    def _pair(self) -> Self:
        if bool(self.cert_file) != bool(self.key_file):
            raise ValueError("give cert_file and key_file together")
        return self


class Cluster(Strict):
    """Watchers on several vendors coordinated through one etcd cluster (failover.coord.etcd).

    Timing follows Patroni: a leader renews its lease every ``loop_wait``; an etcd request
    gives up after ``retry_timeout``; the lease lives ``ttl``, so
    ``loop_wait + 2 * retry_timeout <= ttl`` lets a leader notice a failed renewal and stop
    before another node may take over.
    """

    endpoints: list[str] = Field(min_length=1)
    # This node's name (unique in the cluster) and the vendor it runs at.
    node: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
    vendor: str = Field(min_length=1)
    prefix: str = "/failover"
    ttl: Duration = 30.0
    loop_wait: Duration = 10.0
    retry_timeout: Duration = 10.0
    # Every watcher's node name: the configured vantage points. The quorum counts these,
    # not the live ones, so a lone survivor is never a quorum unless the quorum says so;
    # a view from a node not listed is not counted.
    watchers: list[str] = Field(min_length=1)
    # A hosting is DOWN for the cluster when this share of the configured vantage points
    # says so: 'majority' (more than half), or a fraction such as 0.82 (Route 53: healthy
    # while more than 18% of checkers say healthy).
    quorum: Literal["majority"] | float = "majority"
    # A view older than this is not counted, whatever its lease says (a stuck watcher's
    # lease may outlive its judgement). Default: 3 watch intervals plus ttl.
    view_expiry: Duration | None = None
    # Moves kept in etcd's shared history; older ones are deleted there (each node's own
    # journal keeps the moves it made), so a leader's read of the history stays bounded.
    history_keep: int = Field(default=1000, ge=1)
    tls: ClusterTls | None = None
    username: str | None = None
    password_env: str | None = None
    password_file: str | None = None
    # A password to http:// endpoints crosses the network in clear text: refused unless
    # this says the network is trusted (a lab on loopback).
    insecure: bool = False

    @field_validator("endpoints")
    @classmethod
    def _urls(cls, endpoints: list[str]) -> list[str]:
        for e in endpoints:
            if not e.lower().startswith(("http://", "https://")):
                raise ValueError(f"'{e}' is not an etcd client URL; write "
                                 "https://HOST:2379 (or http:// in a lab)")
        return endpoints

    @field_validator("watchers")
    @classmethod
    def _names(cls, watchers: list[str]) -> list[str]:
        if len(set(watchers)) != len(watchers):
            raise ValueError("a watcher is named twice")
        return watchers

    @field_validator("quorum")
    @classmethod
    def _fraction(cls, quorum: str | float) -> str | float:
        if not isinstance(quorum, str) and not 0 < quorum <= 1:
            raise ValueError("quorum is 'majority' or a fraction above 0 and at most 1")
        return quorum

    @model_validator(mode="after")
    def _timing(self) -> Self:
        if self.loop_wait + 2 * self.retry_timeout > self.ttl:
            raise ValueError(
                f"loop_wait + 2 * retry_timeout ({self.loop_wait:g}s + 2 * "
                f"{self.retry_timeout:g}s) must be at most ttl ({self.ttl:g}s), or a leader "
                "could act after its lease ran out; raise ttl or lower the others")
        if self.ttl < 1:
            raise ValueError("ttl must be at least 1s (etcd leases count whole seconds)")
        if self.ttl != int(self.ttl):
            raise ValueError(f"ttl must be whole seconds: etcd leases count them, so "
                             f"{self.ttl:g}s would be a {int(self.ttl)}s lease, shorter than "
                             "the timing rule allows")
        if self.password_env and self.password_file:
            raise ValueError("give at most one of password_env or password_file")
        if (self.password_env or self.password_file) and not self.username:
            raise ValueError("a password goes with a username")
        if self.tls is None and any(e.lower().startswith("https://") for e in self.endpoints):
            raise ValueError("https:// endpoints need tls: {ca_file: ...}")
        plain = [e for e in self.endpoints if e.lower().startswith("http://")]
        if (self.password_env or self.password_file) and plain and not self.insecure:
            raise ValueError(f"the etcd password would cross the network in clear text to "
                             f"{plain[0]}; write https:// endpoints with tls: {{ca_file: "
                             "...}, or set insecure: true where the network is trusted")
        return self
