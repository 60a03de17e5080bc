"""What the cluster registry stores: a cluster (name, provider, region) and its sources, each
with its settings. Credentials are never stored: a source names them by *secret reference*
(``env:VARIABLE`` or ``file:/path``), resolved when the source starts.

These models are the body of ``POST /v1/clusters`` and the rows of the registry, so a bad
setting is rejected at the API with the offending field named.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from kubeopt_common.events import Provider
from kubeopt_common.events.subjects import CLUSTER_NAME_PATTERN

SECRET_REF_PATTERN = r"^(env:[A-Za-z_][A-Za-z0-9_]*|file:/\S+)$"  # noqa: S105 - a pattern
SecretRef = Annotated[
    str,
    StringConstraints(pattern=SECRET_REF_PATTERN),
    Field(
        description="A secret reference, never the secret: env:VARIABLE or file:/absolute/path",
        examples=["env:PROMETHEUS_TOKEN", "file:/var/run/secrets/prometheus/token"],
    ),
]
DEFAULT_INTERNAL_CIDRS = ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10")


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class KubernetesSourceSpec(_Spec):
    """Inventory by list + watch of the cluster's API server."""

    kind: Literal["kubernetes"] = "kubernetes"
    connection: Literal["in_cluster", "kubeconfig", "token"] = Field(
        default="in_cluster",
        description="in_cluster: the pod's service account; kubeconfig: a file; token: host+token",
    )
    kubeconfig: str | None = Field(default=None, description="Path of the kubeconfig file")
    context: str | None = Field(default=None, description="kubeconfig context (default: current)")
    host: str | None = Field(default=None, pattern=r"^https?://", description="API server URL")
    token: SecretRef | None = None
    ca_file: str | None = Field(default=None, description="CA bundle of the API server")
    verify_tls: bool = True
    page_size: int = Field(default=500, ge=10, le=5000, description="Objects per list page")
    watch_timeout_s: int = Field(default=300, ge=5, le=3600)
    resync_s: int = Field(default=600, ge=10, description="Full snapshot period")
    delta_flush_s: float = Field(default=5.0, ge=0.05, le=600, description="Delta period")

    @model_validator(mode="after")
    def _connection_complete(self) -> Self:
        if self.connection == "token" and not self.host:
            raise ValueError("connection=token needs host (the API server URL)")
        if self.connection == "kubeconfig" and not self.kubeconfig:
            raise ValueError("connection=kubeconfig needs kubeconfig (the file's path)")
        return self


class PrometheusSourceSpec(_Spec):
    """Usage history and live usage from Prometheus (or Thanos, Mimir, VictoriaMetrics)."""

    kind: Literal["prometheus"] = "prometheus"
    url: str = Field(pattern=r"^https?://", description="Base URL; /api/v1/query_range is added")
    auth: Literal["none", "bearer", "basic"] = "none"
    username: str | None = None
    password: SecretRef | None = None
    bearer_token: SecretRef | None = None
    headers: dict[str, str] = Field(
        default_factory=dict, description="Extra headers, e.g. X-Scope-OrgID for Mimir tenants"
    )
    selector: str = Field(
        default="",
        max_length=500,
        pattern=r'^([a-zA-Z_][a-zA-Z0-9_]*\s*(=|!=|=~|!~)\s*"[^"]*"\s*,?\s*)*$',
        description='Extra label matchers on every series, e.g. cluster="prod" (shared stores)',
    )
    verify_tls: bool = True
    step_s: int = Field(default=300, ge=15, le=3600, description="Usage window (query step)")
    backfill_days: float = Field(default=1.0, ge=0, le=90, description="History on first start")
    lag_s: int = Field(default=120, ge=0, le=3600, description="Wait this long for late scrapes")
    pod_batch_size: int = Field(default=200, ge=1, le=5000, description="Pods per query")
    max_points_per_series: int = Field(default=11_000, ge=2, le=11_000)
    max_samples_per_query: int = Field(default=2_000_000, ge=1000)
    timeout_s: float = Field(default=60.0, gt=0, le=600)

    @model_validator(mode="after")
    def _auth_complete(self) -> Self:
        if self.auth == "bearer" and not self.bearer_token:
            raise ValueError("auth=bearer needs bearer_token (a secret reference)")
        if self.auth == "basic" and not (self.username and self.password):
            raise ValueError("auth=basic needs username and password (a secret reference)")
        return self


class MetricsServerSourceSpec(_Spec):
    """Live usage from metrics.k8s.io (no history), through the kubernetes source's client."""

    kind: Literal["metrics_server"] = "metrics_server"
    sample_interval_s: int = Field(default=60, ge=10, le=3600)
    window_s: int = Field(default=300, ge=30, le=3600, description="Usage window published")


class FlowLogsSourceSpec(_Spec):
    """Network flows from Cilium Hubble JSON exports or AWS VPC flow logs (v5 fields)."""

    kind: Literal["flowlogs"] = "flowlogs"
    format: Literal["hubble", "vpc"]
    path: str = Field(min_length=1, description="A file, or a directory of files (.gz too)")
    poll_s: float = Field(default=10.0, ge=0.05, le=3600)
    window_s: int = Field(default=60, ge=10, le=3600)
    internal_cidrs: tuple[str, ...] = Field(
        default=DEFAULT_INTERNAL_CIDRS,
        description="Addresses inside the cluster's networks; one no pod or node has is skipped",
    )

    @field_validator("internal_cidrs")
    @classmethod
    def _cidrs(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for cidr in value:
            ipaddress.ip_network(cidr, strict=False)
        return value


SourceSpec = Annotated[
    KubernetesSourceSpec | PrometheusSourceSpec | MetricsServerSourceSpec | FlowLogsSourceSpec,
    Field(discriminator="kind"),
]


class ClusterSpec(_Spec):
    """A cluster this collector serves."""

    name: str = Field(pattern=CLUSTER_NAME_PATTERN, description="Cluster name in every event")
    provider: Provider
    region: str = Field(min_length=1, max_length=64)
    sources: tuple[SourceSpec, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _sources_fit(self) -> Self:
        kinds = [s.kind for s in self.sources]
        duplicates = sorted({k for k in kinds if kinds.count(k) > 1})
        if duplicates:
            raise ValueError(f"one source of each kind per cluster; repeated: {duplicates}")
        if "metrics_server" in kinds and "kubernetes" not in kinds:
            raise ValueError("a metrics_server source needs the cluster's kubernetes source")
        if "metrics_server" in kinds and "prometheus" in kinds:
            raise ValueError("usage comes from prometheus or metrics_server, not both")
        return self

    def source(self, kind: str) -> SourceSpec | None:
        return next((s for s in self.sources if s.kind == kind), None)
