"""The 50-digit clave and 20-digit consecutivo of Costa Rican comprobantes, and lenient `fecha` parsing."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone

DOCUMENT_TYPES = {
    "01": "FacturaElectronica",
    "02": "NotaDebitoElectronica",
    "03": "NotaCreditoElectronica",
    "04": "TiqueteElectronico",
    "05": "MensajeReceptor",
    "06": "MensajeReceptor",
    "07": "MensajeReceptor",
    "08": "FacturaElectronicaCompra",
    "09": "FacturaElectronicaExportacion",
    "10": "ReciboElectronicoPago",
}
MENSAJE_TYPES = ("05", "06", "07")
ID_TYPES = {"01": (9,), "02": (10,), "03": (11, 12), "04": (10,), "05": tuple(range(1, 21))}


class ClaveError(ValueError):
    """Why a clave or consecutivo is not well formed (its text is the X-Error-Cause)."""


@dataclass(frozen=True)
class Consecutivo:
    sucursal: str
    terminal: str
    tipo: str
    numero: str

    @classmethod
    def parse(cls, text: str) -> Consecutivo:
        if not re.fullmatch(r"\d{20}", text):
            raise ClaveError(f"El consecutivo [{text}] debe tener 20 dígitos.")
        tipo = text[8:10]
        if tipo not in DOCUMENT_TYPES:
            raise ClaveError(f"El tipo de comprobante [{tipo}] del consecutivo [{text}] no es válido.")
        if int(text[10:]) == 0:
            raise ClaveError(f"El número del consecutivo [{text}] no puede ser cero.")
        return cls(text[:3], text[3:8], tipo, text[10:])


@dataclass(frozen=True)
class Clave:
    text: str
    fecha: date
    identificacion: str  # 12 digits, zero-padded
    consecutivo: Consecutivo
    situacion: str
    codigo_seguridad: str

    @classmethod
    def parse(cls, text: str) -> Clave:
        if not re.fullmatch(r"\d{50}", text):
            raise ClaveError(f"La clave [{text}] debe tener 50 dígitos numéricos.")
        if not text.startswith("506"):
            raise ClaveError(f"La clave [{text}] debe iniciar con el código de país 506.")
        try:
            fecha = datetime.strptime(text[3:9], "%d%m%y").date()
        except ValueError:
            raise ClaveError(f"La fecha [{text[3:9]}] de la clave [{text}] no es válida (ddmmaa).") from None
        situacion = text[41]
        if situacion not in "123":
            raise ClaveError(f"La situación [{situacion}] de la clave [{text}] no es válida (1, 2 o 3).")
        return cls(text, fecha, text[9:21], Consecutivo.parse(text[21:41]), situacion, text[42:])


def padded_id(numero: str) -> str:
    return numero.zfill(12)


_FECHA_FORMATS = (
    "%Y-%m-%dT%H:%M:%S%z",
    "%Y-%m-%dT%H:%M:%S.%f%z",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%dT%H:%M:%S.%f",
)
CR_TZ = timezone(timedelta(hours=-6))


def parse_fecha(text: str) -> datetime:
    """Every shape real clients send: offsets with or without a colon, `Z`, fractions, or no zone."""
    cleaned = text.strip()
    if cleaned.endswith(("Z", "z")):
        cleaned = cleaned[:-1] + "+00:00"
    for fmt in _FECHA_FORMATS:
        try:
            parsed = datetime.strptime(cleaned, fmt)
        except ValueError:
            continue
        # no zone: Costa Rica's own time, as Hacienda reads it
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=CR_TZ)
    raise ClaveError(f"La fecha [{text}] no tiene el formato yyyy-MM-dd'T'HH:mm:ssZ.")


def format_fecha(moment: datetime) -> str:
    """Hacienda writes dates in Costa Rica's offset, `2016-01-01T00:00:00-06:00`."""
    return moment.astimezone(CR_TZ).isoformat(timespec="seconds")


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
