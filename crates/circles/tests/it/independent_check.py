"""Independent figures for the real-data tests of crates/circles (run once; numbers are written
into tests/it/main.rs). Uses pyosmium and networkx, not the Rust code:

    python3 -m venv /tmp/pyv && /tmp/pyv/bin/pip install osmium networkx
    /tmp/pyv/bin/python crates/circles/tests/it/independent_check.py

Walkability follows the same published rule as src/osm.rs (highway values allowed, foot=no,
access=private unless foot=yes, motorways unless foot=yes); steps cost twice their length.
"""
import collections, csv, math, random, sys
import osmium, networkx as nx

ALLOWED = set("footway path pedestrian residential living_street service unclassified tertiary tertiary_link "
              "secondary secondary_link primary primary_link trunk trunk_link track cycleway bridleway corridor "
              "platform road crossing elevator sidewalk steps".split())
NOT_BUILT = {"construction", "proposed", "abandoned", "disused", "razed"}

def walkable(t):
    hw = t.get("highway")
    if hw is None:
        return None
    foot = t.get("foot")
    foot_yes = foot in ("yes", "designated", "permissive", "official")
    if foot in ("no", "use_sidepath", "private"):
        return None
    if t.get("access") in ("no", "private") and not foot_yes:
        return None
    if t.get("area") == "yes" and hw not in ("pedestrian", "footway"):
        return None
    if hw in ALLOWED:
        return "steps" if hw == "steps" else "flat"
    if hw in ("motorway", "motorway_link") and not foot_yes:
        return None
    if hw in NOT_BUILT:
        return None
    return "flat" if foot_yes else None

def hav(a, b):
    R = 6371008.8
    lon1, lat1, lon2, lat2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * R * math.asin(min(1.0, math.sqrt(h)))

def check(path, pairs=4):
    coords, ways, amen = {}, [], collections.Counter()
    for o in osmium.FileProcessor(path):
        t = dict(o.tags)
        if o.is_node():
            coords[o.id] = (o.location.lon, o.location.lat)
        if o.is_way():
            c = walkable(t)
            if c:
                ways.append(([n.ref for n in o.nodes], c))
        if o.type_str() in "nw":
            a, hc, le = t.get("amenity"), t.get("healthcare"), t.get("leisure")
            if a == "pharmacy" or hc == "pharmacy": amen["pharmacy"] += 1
            if a in ("library", "arts_centre") or (a == "community_centre" and t.get("community_centre") in ("culture", "cultural")): amen["culture"] += 1
            if a in ("clinic", "doctors") or hc in ("clinic", "centre", "doctor"): amen["clinic"] += 1
            if a == "school": amen["school"] += 1
            if a == "kindergarten": amen["kindergarten"] += 1
            if a == "childcare": amen["childcare"] += 1
            if le in ("sports_centre", "pitch", "stadium", "fitness_centre", "fitness_station", "track"): amen["sports"] += 1
            if (a == "community_centre" and t.get("community_centre") not in ("culture", "cultural")) or a == "townhall" or \
               (t.get("office") == "government" and t.get("government") not in ("tax", "prosecutor", "police", "military")): amen["community_service"] += 1
    G = nx.MultiGraph()
    for refs, c in ways:
        # A reference to a node outside the extract breaks the way there.
        for a, b in zip(refs, refs[1:]):
            if a == b or a not in coords or b not in coords:
                continue
            L = hav(coords[a], coords[b])
            G.add_edge(a, b, length=L, cost=L * (2.0 if c == "steps" else 1.0))
    comps = sorted(nx.connected_components(G), key=len, reverse=True)
    H = G.subgraph(comps[0])
    deg2 = sum(1 for n in H if H.degree(n) == 2)
    length = sum(d["length"] for _, _, d in H.edges(data=True))
    dropped = sum(d["length"] for c in comps[1:] for _, _, d in G.subgraph(c).edges(data=True))
    print(path)
    print(f"  components {len(comps)}, junction nodes (degree != 2) {H.number_of_nodes() - deg2}, "
          f"contracted edges {H.number_of_edges() - deg2}, length {length:.1f} m, dropped length {dropped:.1f} m")
    print("  facilities (elements, nodes and ways):", dict(sorted(amen.items())))
    junctions = [n for n in H if H.degree(n) != 2]
    rng = random.Random(7)
    for _ in range(pairs):
        a, b = rng.sample(junctions, 2)
        d = nx.shortest_path_length(H, a, b, weight="cost")
        print(f"  pair ({coords[a][0]:.7f}, {coords[a][1]:.7f}) -> ({coords[b][0]:.7f}, {coords[b][1]:.7f}): {d:.2f} m")

base = "/work/shared/data/osm/"
for f in ("helsinki-test.osm.pbf", "helsinki-centre.osm.pbf", "sao-paulo-centre.osm.pbf"):
    check(base + f)
rows = list(csv.DictReader(open(base + "sao-paulo-hexgrid-population.csv")))
print("sao paulo grid: cells", len(rows), "populated", sum(1 for r in rows if int(r["population"]) > 0),
      "population", sum(int(r["population"]) for r in rows), "schools", sum(int(r["schools"]) for r in rows),
      "cells with schools", sum(1 for r in rows if int(r["schools"]) > 0))
