//! A minimal OpenStreetMap PBF writer (dense nodes and ways, uncompressed blobs): enough for the
//! synthetic networks of the benchmark and for hand-made test files.

use std::collections::HashMap;
use std::io::Write;

const BLOCK: usize = 8000;

fn varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn zigzag(v: i64) -> u64 {
    ((v << 1) ^ (v >> 63)) as u64
}

fn key(out: &mut Vec<u8>, field: u32, wire: u32) {
    varint(out, ((field << 3) | wire) as u64);
}

fn bytes_field(out: &mut Vec<u8>, field: u32, b: &[u8]) {
    key(out, field, 2);
    varint(out, b.len() as u64);
    out.extend_from_slice(b);
}

fn int_field(out: &mut Vec<u8>, field: u32, v: u64) {
    key(out, field, 0);
    varint(out, v);
}

fn packed(out: &mut Vec<u8>, field: u32, values: impl Iterator<Item = u64>) {
    let mut buf = Vec::new();
    for v in values {
        varint(&mut buf, v);
    }
    bytes_field(out, field, &buf);
}

struct NodeRec {
    id: i64,
    lon: i32,
    lat: i32,
    tags: Vec<(String, String)>,
}

struct WayRec {
    id: i64,
    refs: Vec<i64>,
    tags: Vec<(String, String)>,
}

/// Writes an `.osm.pbf`: call [`PbfWriter::node`] for all nodes first, then [`PbfWriter::way`].
pub struct PbfWriter<W: Write> {
    out: W,
    nodes: Vec<NodeRec>,
    ways: Vec<WayRec>,
}

impl<W: Write> std::fmt::Debug for PbfWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PbfWriter").finish_non_exhaustive()
    }
}

impl<W: Write> PbfWriter<W> {
    /// Starts a file with its header block.
    pub fn new(mut out: W) -> std::io::Result<Self> {
        let mut header = Vec::new();
        bytes_field(&mut header, 4, b"OsmSchema-V0.6");
        bytes_field(&mut header, 4, b"DenseNodes");
        bytes_field(&mut header, 16, b"minsheng-circles");
        write_blob(&mut out, "OSMHeader", &header)?;
        Ok(PbfWriter {
            out,
            nodes: Vec::new(),
            ways: Vec::new(),
        })
    }

    /// Adds a node at fixed-point `[lon, lat]` (1e-7 degrees).
    pub fn node(&mut self, id: i64, p: [i32; 2], tags: &[(&str, &str)]) -> std::io::Result<()> {
        self.nodes.push(NodeRec {
            id,
            lon: p[0],
            lat: p[1],
            tags: own(tags),
        });
        if self.nodes.len() >= BLOCK {
            self.flush_nodes()?;
        }
        Ok(())
    }

    /// Adds a way.
    pub fn way(&mut self, id: i64, refs: &[i64], tags: &[(&str, &str)]) -> std::io::Result<()> {
        self.flush_nodes()?;
        self.ways.push(WayRec {
            id,
            refs: refs.to_vec(),
            tags: own(tags),
        });
        if self.ways.len() >= BLOCK {
            self.flush_ways()?;
        }
        Ok(())
    }

    /// Writes what is buffered and returns the sink.
    pub fn finish(mut self) -> std::io::Result<W> {
        self.flush_nodes()?;
        self.flush_ways()?;
        self.out.flush()?;
        Ok(self.out)
    }

    fn flush_nodes(&mut self) -> std::io::Result<()> {
        if self.nodes.is_empty() {
            return Ok(());
        }
        let mut st = StringTable::default();
        let mut dense = Vec::new();
        let (mut pid, mut plat, mut plon) = (0i64, 0i64, 0i64);
        packed(
            &mut dense,
            1,
            self.nodes.iter().map(|n| {
                let d = zigzag(n.id - pid);
                pid = n.id;
                d
            }),
        );
        packed(
            &mut dense,
            8,
            self.nodes.iter().map(|n| {
                let d = zigzag(n.lat as i64 - plat);
                plat = n.lat as i64;
                d
            }),
        );
        packed(
            &mut dense,
            9,
            self.nodes.iter().map(|n| {
                let d = zigzag(n.lon as i64 - plon);
                plon = n.lon as i64;
                d
            }),
        );
        if self.nodes.iter().any(|n| !n.tags.is_empty()) {
            let mut kv = Vec::new();
            for n in &self.nodes {
                for (k, v) in &n.tags {
                    kv.push(st.id(k) as u64);
                    kv.push(st.id(v) as u64);
                }
                kv.push(0);
            }
            packed(&mut dense, 10, kv.into_iter());
        }
        let mut group = Vec::new();
        bytes_field(&mut group, 2, &dense);
        self.nodes.clear();
        self.write_block(st, &group)
    }

    fn flush_ways(&mut self) -> std::io::Result<()> {
        if self.ways.is_empty() {
            return Ok(());
        }
        let mut st = StringTable::default();
        let mut group = Vec::new();
        for w in &self.ways {
            let mut way = Vec::new();
            int_field(&mut way, 1, w.id as u64);
            let keys: Vec<u64> = w.tags.iter().map(|(k, _)| st.id(k) as u64).collect();
            let vals: Vec<u64> = w.tags.iter().map(|(_, v)| st.id(v) as u64).collect();
            if !keys.is_empty() {
                packed(&mut way, 2, keys.into_iter());
                packed(&mut way, 3, vals.into_iter());
            }
            let mut prev = 0i64;
            packed(
                &mut way,
                8,
                w.refs.iter().map(|&r| {
                    let d = zigzag(r - prev);
                    prev = r;
                    d
                }),
            );
            bytes_field(&mut group, 3, &way);
        }
        self.ways.clear();
        self.write_block(st, &group)
    }

    fn write_block(&mut self, st: StringTable, group: &[u8]) -> std::io::Result<()> {
        let mut table = Vec::new();
        for s in &st.strings {
            bytes_field(&mut table, 1, s.as_bytes());
        }
        let mut block = Vec::new();
        bytes_field(&mut block, 1, &table);
        bytes_field(&mut block, 2, group);
        int_field(&mut block, 17, 100);
        write_blob(&mut self.out, "OSMData", &block)
    }
}

fn own(tags: &[(&str, &str)]) -> Vec<(String, String)> {
    tags.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

struct StringTable {
    strings: Vec<String>,
    ids: HashMap<String, u32>,
}

impl Default for StringTable {
    fn default() -> Self {
        StringTable {
            strings: vec![String::new()],
            ids: HashMap::new(),
        }
    }
}

impl StringTable {
    fn id(&mut self, s: &str) -> u32 {
        if let Some(&i) = self.ids.get(s) {
            return i;
        }
        let i = self.strings.len() as u32;
        self.strings.push(s.to_string());
        self.ids.insert(s.to_string(), i);
        i
    }
}

fn write_blob(out: &mut impl Write, kind: &str, data: &[u8]) -> std::io::Result<()> {
    let mut blob = Vec::new();
    bytes_field(&mut blob, 1, data);
    int_field(&mut blob, 2, data.len() as u64);
    let mut header = Vec::new();
    bytes_field(&mut header, 1, kind.as_bytes());
    int_field(&mut header, 3, blob.len() as u64);
    out.write_all(&(header.len() as u32).to_be_bytes())?;
    out.write_all(&header)?;
    out.write_all(&blob)
}
