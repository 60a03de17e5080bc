"""Request/reply contracts between services (core NATS, answered by a service's queue group).

Events say what happened; queries ask a service that owns some knowledge — e.g. costing's node
prices — without reading its stores. Like events they are a versioned public contract.
"""

from kubeopt_common.queries.pricing import (
    NodePriceQuote,
    NodePriceReply,
    NodePriceRequest,
)
from kubeopt_common.queries.subjects import QuerySubject

__all__ = ["NodePriceQuote", "NodePriceReply", "NodePriceRequest", "QuerySubject"]
