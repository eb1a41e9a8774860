"""A compact spatial index of parcels for the routing resolver.

With 200,000 parcels, one GEOS geometry (and one Python object) per parcel kept alive costs far more than
the parcels' coordinates. Here every parcel is kept as WKB in one bytes buffer (with an offsets array),
its bounding box in a float64 array, and a uniform grid maps each cell to the parcels whose box meets it
(CSR arrays, sorted by parcel position). A lookup reads one cell, filters the boxes, and decodes the WKB of
the few remaining candidates to test the point exactly. Nothing in it is a Python object per parcel, so
the garbage collector has nothing to walk either.
"""

from array import array

import numpy as np
import shapely

CELL_DEG = 0.002  # about 150 m x 220 m at 49° N: a few parcels per cell in a town
MAX_CELLS = 4096  # a parcel spanning more cells than this goes to the short list of large parcels


class ParcelGridBuilder:
    """Collects parcels by chunks into flat buffers (no Python object per parcel is kept)."""

    def __init__(self):
        self.buffer, self.lengths, self.bounds = bytearray(), array("q"), array("d")

    def add(self, shape):
        self.extend([shape])

    def extend(self, shapes):
        shapes = np.asarray(list(shapes), dtype=object)
        if len(shapes):
            self.extend_geometries(shapes)

    def extend_geometries(self, geometries):
        """A numpy array of shapely geometries."""
        for item in shapely.to_wkb(geometries).tolist():
            self.buffer += item
            self.lengths.append(len(item))
        self.bounds.extend(shapely.bounds(geometries).ravel().tolist())

    def extend_geojson(self, texts):
        """GeoJSON geometry texts (parsed by GEOS, not into Python dicts)."""
        if texts:
            self.extend_geometries(shapely.from_geojson(np.array(texts, dtype=object)))

    def build(self):
        return ParcelGrid(
            np.frombuffer(self.buffer, dtype=np.uint8) if self.buffer else b"",  # no copy of the WKB
            np.frombuffer(self.lengths, dtype=np.int64).copy() if self.lengths else np.zeros(0, np.int64),
            np.frombuffer(self.bounds, dtype=np.float64).reshape(-1, 4).copy()
            if self.bounds
            else np.zeros((0, 4)),
        )


class PackedStrings:
    """A read-only list of strings kept in one buffer (the parcels' references)."""

    def __init__(self):
        self.buffer, self.lengths = bytearray(), array("q")
        self.offsets = None

    def append(self, text):
        data = text.encode()
        self.buffer += data
        self.lengths.append(len(data))

    def freeze(self):
        self.buffer = bytes(self.buffer)
        self.offsets = np.concatenate([[0], np.cumsum(np.frombuffer(self.lengths, dtype=np.int64))]).astype(
            np.int64
        )
        self.lengths = None
        return self

    def __len__(self):
        return len(self.offsets) - 1

    @classmethod
    def from_arrays(cls, buffer, offsets):
        strings = cls.__new__(cls)
        strings.buffer, strings.offsets, strings.lengths = buffer, offsets, None
        return strings

    def __getitem__(self, position):
        position = int(position)
        if position < 0:
            position += len(self)
        if not 0 <= position < len(self):
            raise IndexError(position)
        return bytes(self.buffer[self.offsets[position] : self.offsets[position + 1]]).decode()

    def __iter__(self):
        return (self[i] for i in range(len(self)))


class ParcelGrid:
    def __init__(self, buffer, lengths, bounds):
        count = len(lengths)
        self.offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        self.buffer = buffer
        self.bounds = bounds
        self.count = count
        if not count:
            self.x0 = self.y0 = 0.0
            self.nx = self.ny = 0
            self.cell_keys = np.zeros(0, dtype=np.int64)
            self.starts = self.ends = np.zeros(0, dtype=np.int64)
            self.members = np.zeros(0, dtype=np.int32)
            self.large = np.zeros(0, dtype=np.int32)
            return
        self.x0, self.y0 = float(bounds[:, 0].min()), float(bounds[:, 1].min())
        ix0 = np.floor((bounds[:, 0] - self.x0) / CELL_DEG).astype(np.int64)
        iy0 = np.floor((bounds[:, 1] - self.y0) / CELL_DEG).astype(np.int64)
        ix1 = np.floor((bounds[:, 2] - self.x0) / CELL_DEG).astype(np.int64)
        iy1 = np.floor((bounds[:, 3] - self.y0) / CELL_DEG).astype(np.int64)
        self.nx, self.ny = int(ix1.max()) + 1, int(iy1.max()) + 1
        width, height = ix1 - ix0 + 1, iy1 - iy0 + 1
        spans = width * height
        large = spans > MAX_CELLS
        self.large = np.nonzero(large)[0].astype(np.int32)
        spans = np.where(large, 0, spans)
        total = int(spans.sum())
        positions = np.repeat(np.arange(count, dtype=np.int64), spans)
        first = np.repeat(np.cumsum(spans) - spans, spans)
        k = np.arange(total, dtype=np.int64) - first
        rows = np.repeat(height, spans)
        cx = np.repeat(ix0, spans) + k // rows
        cy = np.repeat(iy0, spans) + k % rows
        keys = cx * self.ny + cy
        order = np.lexsort((positions, keys))
        keys, self.members = keys[order], positions[order].astype(np.int32)
        self.cell_keys, self.starts = np.unique(keys, return_index=True)
        self.ends = np.append(self.starts[1:], len(keys))

    ARRAYS = ("offsets", "bounds", "cell_keys", "starts", "ends", "members", "large")

    def to_arrays(self):
        """The grid as arrays and numbers (see `save_arrays`), `from_arrays` giving it back."""
        arrays = {f"grid_{name}": getattr(self, name) for name in self.ARRAYS}
        arrays["grid_buffer"] = np.frombuffer(self.buffer, dtype=np.uint8)
        return arrays, {"x0": self.x0, "y0": self.y0, "nx": self.nx, "ny": self.ny, "count": self.count}

    @classmethod
    def from_arrays(cls, arrays, meta):
        grid = cls.__new__(cls)
        for name in cls.ARRAYS:
            setattr(grid, name, arrays[f"grid_{name}"])
        grid.buffer = arrays["grid_buffer"]
        grid.x0, grid.y0, grid.nx, grid.ny, grid.count = (
            meta["x0"],
            meta["y0"],
            meta["nx"],
            meta["ny"],
            meta["count"],
        )
        return grid

    def __len__(self):
        return self.count

    def shape(self, position):
        return shapely.from_wkb(bytes(self.buffer[self.offsets[position] : self.offsets[position + 1]]))

    def candidates(self, lon, lat):
        """Positions (ascending) of the parcels whose bounding box contains the point."""
        found = self.large
        if self.count:
            ix, iy = int((lon - self.x0) // CELL_DEG), int((lat - self.y0) // CELL_DEG)
            if 0 <= ix < self.nx and 0 <= iy < self.ny:
                key = ix * self.ny + iy
                j = int(np.searchsorted(self.cell_keys, key))
                if j < len(self.cell_keys) and self.cell_keys[j] == key:
                    cell = self.members[self.starts[j] : self.ends[j]]
                    found = np.union1d(cell, self.large) if len(self.large) else cell
        if not len(found):
            return found
        box = self.bounds[found]
        inside = (box[:, 0] <= lon) & (lon <= box[:, 2]) & (box[:, 1] <= lat) & (lat <= box[:, 3])
        return found[inside]

    def first_containing(self, lon, lat, positions):
        """The first of `positions` (ascending) whose parcel contains or touches the point, or None."""
        for position in positions:
            if shapely.intersects_xy(self.shape(int(position)), lon, lat):
                return int(position)
        return None

    def memory_bytes(self):
        arrays = (self.offsets, self.bounds, self.cell_keys, self.starts, self.ends, self.members, self.large)
        return len(self.buffer) + sum(array.nbytes for array in arrays)


class PeriodTable:
    """The dated owners of the parcels that have some, as flat arrays: for parcel position `positions[k]`,
    rows `starts[k]` to `starts[k + 1]` of (`valid_from`, `valid_until`, `owner`) (day ordinals, owner id
    or 0). Reads like the dict {position: ((from, until, owner), ...)} it replaces."""

    def __init__(self, positions, starts, valid_from, valid_until, owners):
        self.positions, self.starts = positions, starts
        self.valid_from, self.valid_until, self.owners = valid_from, valid_until, owners

    @classmethod
    def from_dict(cls, periods):
        positions = np.array(sorted(periods), dtype=np.int64)
        counts = np.array([len(periods[int(p)]) for p in positions], dtype=np.int64)
        starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        rows = [row for p in positions for row in periods[int(p)]]
        table = np.array(rows, dtype=np.int64).reshape(-1, 3)
        return cls(
            positions, starts, table[:, 0].astype(np.int32), table[:, 1].astype(np.int32), table[:, 2].copy()
        )

    def _find(self, position):
        k = int(np.searchsorted(self.positions, position))
        return k if k < len(self.positions) and self.positions[k] == position else None

    def __contains__(self, position):
        return self._find(position) is not None

    def __getitem__(self, position):
        k = self._find(position)
        if k is None:
            raise KeyError(position)
        a, b = int(self.starts[k]), int(self.starts[k + 1])
        return tuple(
            (int(self.valid_from[j]), int(self.valid_until[j]), int(self.owners[j])) for j in range(a, b)
        )

    def __len__(self):
        return len(self.positions)


# --- the parcels' part of the index in a file, loaded memory-mapped -------------------------------
# One file per territory version: a header (magic, JSON length, JSON naming each array's dtype, shape and
# offset), then the arrays, 64-byte aligned. A web worker maps it instead of building the index from the
# database: its pages are read from the page cache when touched and shared by the workers of the host.

MAGIC = b"GUPPIDX1"
ALIGN = 64


def save_arrays(path, arrays, meta):
    """Write {name: numpy array} and a JSON-able `meta` to `path` (atomically: a temporary file renamed)."""
    import json
    import os

    names, layout, offset = sorted(arrays), {}, 0
    for name in names:
        array = np.ascontiguousarray(arrays[name])
        arrays[name] = array
        layout[name] = [array.dtype.str, list(array.shape), offset]
        offset += -(-array.nbytes // ALIGN) * ALIGN
    header = json.dumps({"meta": meta, "arrays": layout}).encode()
    start = -(-(len(MAGIC) + 8 + len(header)) // ALIGN) * ALIGN
    temporary = f"{path}.{os.getpid()}.tmp"
    with open(temporary, "wb") as out:
        out.write(MAGIC + len(header).to_bytes(8, "little") + header)
        out.write(b"\0" * (start - out.tell()))
        for name in names:
            data = arrays[name].tobytes()
            out.write(data + b"\0" * (-(-len(data) // ALIGN) * ALIGN - len(data)))
    os.replace(temporary, path)


def load_arrays(path):
    """(meta, {name: read-only numpy array over the memory-mapped file}); ValueError if not such a file."""
    import json
    import mmap

    with open(path, "rb") as handle:
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    if mapped[: len(MAGIC)] != MAGIC:
        raise ValueError(f"{path} is not a parcel index file")
    length = int.from_bytes(mapped[len(MAGIC) : len(MAGIC) + 8], "little")
    header = json.loads(mapped[len(MAGIC) + 8 : len(MAGIC) + 8 + length])
    start = -(-(len(MAGIC) + 8 + length) // ALIGN) * ALIGN
    arrays = {}
    for name, (dtype, shape, offset) in header["arrays"].items():
        count = int(np.prod(shape)) if shape else 1
        array = np.frombuffer(mapped, dtype=np.dtype(dtype), count=count, offset=start + offset)
        arrays[name] = array.reshape(shape)
    return header["meta"], arrays
