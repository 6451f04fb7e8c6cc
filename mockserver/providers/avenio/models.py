"""Avenio's records: boletas, asynchronous operations, and one client's books of them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from mockserver.core.services.lifecycle import Track


@dataclass
class Boleta:
    id: str
    tenant: str
    folio: int
    rut_emisor: str
    direccion_emisor: str
    fecha: date
    receptor_rut: str
    receptor_nombre: str
    receptor_direccion: str
    receptor_region: int
    receptor_comuna: int
    prestaciones: list[dict[str, Any]]
    bruto: int
    tasa: str
    retencion: int
    liquido: int
    retenedor: str
    codigo_verificacion: str
    estado: str = "vigente"  # vigente | anulacion_pendiente | anulada


@dataclass
class Operation:
    id: str
    tenant: str
    tipo: str  # emision | anulacion
    created_at: float
    base_url: str
    callback_url: str | None
    correlation_id: str | None
    request: dict[str, Any]  # what was asked, without the password
    outcome: tuple[str, str, bool] | None = None  # planned failure: (code, message, retryable)
    status: str = "pending"
    updated_at: float = 0.0
    result: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    boleta: Boleta | None = None
    track: Track | None = field(default=None, repr=False, compare=False)  # its lifecycle's handle


@dataclass
class Books:
    """One client's sandbox."""

    operations: dict[str, Operation] = field(default_factory=dict)
    boletas: dict[tuple[str, int], Boleta] = field(default_factory=dict)  # (RUT emisor, folio)
    folios: dict[str, int] = field(default_factory=dict)
