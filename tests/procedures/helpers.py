"""Builders for the intervention-request tests."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from directory import geo
from procedures.models import InterventionRequest

# Minimal but well-formed files, built byte by byte (no binary fixtures).
PNG_1PX = (
    b"\x89PNG\r\n\x1a\n"
    b"\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
    b"\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)
JPEG_MINIMAL = (
    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    + b"\xff\xdb\x00\x43\x00"
    + bytes(range(1, 65))
    + b"\xff\xd9"
)
PDF_MINIMAL = (
    b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
    b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    b"trailer\n<< /Root 1 0 R >>\n%%EOF\n"
)


def upload(name, content, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def make_request_row(category, *, lon, lat, commune, requester_organisation=None, **extra):
    """A request row written directly, for tests of queries (filing goes through procedures.actions)."""
    x, y = geo.point_lambert93(lon, lat)
    extra.setdefault("created_at", timezone.now())
    extra.setdefault("reference", f"DI-TEST-{InterventionRequest.objects.count() + 1:06d}")
    return InterventionRequest.objects.create(
        category=category,
        category_group_id=category.group_id,
        description=extra.pop("description", "test"),
        lon=lon,
        lat=lat,
        x_l93=x,
        y_l93=y,
        commune=commune,
        requester_organisation=requester_organisation or commune,
        **extra,
    )
