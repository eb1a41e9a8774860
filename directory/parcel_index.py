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
            bytes(self.buffer),
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

    def __getitem__(self, position):
        position = int(position)
        if position < 0:
            position += len(self)
        if not 0 <= position < len(self):
            raise IndexError(position)
        return self.buffer[self.offsets[position] : self.offsets[position + 1]].decode()

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

    def __len__(self):
        return self.count

    def shape(self, position):
        return shapely.from_wkb(self.buffer[self.offsets[position] : self.offsets[position + 1]])

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
