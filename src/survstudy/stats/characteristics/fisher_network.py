"""Exact two-sided p-value of Fisher's test for an r×c table: a bidirectional network algorithm.

The table is filled one row at a time (a *stage*); after a row is filled what matters for the
rest is only the multiset of remaining column sums (a *node*). A table with fixed margins has
probability ``exp(K + v)`` with ``v = -Σ log x_ij!`` and ``K = Σ log r_i! + Σ log c_j! - log N!``;
``v`` is the sum of the *steps* ``-Σ_j log x_ij!`` of its rows, a path through the network.

As in Mehta & Patel's network algorithm, exact bounds prune the paths: for every node the
longest and shortest completion (most and least probable remaining rows) and the longest and
shortest path reaching it are found by dynamic programming over the network. The search then
runs from both ends and meets in the middle:

* forward, a path (node, past) whose past plus the longest completion is no more probable than
  the observed table adds all its completions at once, in closed form (the completions of a node
  sum to ``N_k! / (Π_{i≥k} r_i! Π m_j!)``); one whose past plus the shortest completion is more
  probable adds nothing; only the others are extended by one row;
* backward, a completion value that counts for every path reaching its node is added to the
  node's aggregate, one that counts for none is dropped, and only the others are kept.

Each step extends whichever side holds fewer items; where they meet, each forward path is
matched with its node's kept completion values by sorting. Paths or values that reach the same
node with the same value are merged. The comparison uses R's ``fisher.test`` tolerance for r×c
tables (FEXACT adds 3.45254e-7 to the observed log path length). ``network_pvalue`` gives up,
saying why, when the problem is past the stated limits, so the caller can use Monte Carlo.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.special import gammaln

from survstudy.arrays import FloatArray, IntArray

__all__ = [
    "LOG_TOLERANCE",
    "Abandon",
    "NetworkLimits",
    "compositions",
    "count_compositions",
    "network_pvalue",
]

#: FEXACT's tolerance (R ``fisher.test`` for tables larger than 2×2), on the log scale.
LOG_TOLERANCE = 3.45254e-7

#: Values closer than ``1 / _MERGE_SCALE`` (log scale) at the same node are merged.
_MERGE_SCALE = 1e9

#: Elements per vectorised block, to bound memory.
_BLOCK = 4_000_000

#: Up to this many distinct nodes, searches loop over nodes (``np.searchsorted`` each).
_LOOP_NODES = 4096


@dataclass(frozen=True)
class NetworkLimits:
    """Sizes past which exact enumeration is abandoned (the caller then uses Monte Carlo).

    Checked before the work is done, so a table past them is recognised in seconds:
    ``max_work``: node × row-filling pairs examined to build the network; ``max_fillings``:
    ways to fill one row within the column sums left; ``max_arcs``: arcs
    in the network; ``max_items``: partial tables kept on one side of the search at one
    stage; ``max_expansion``: partial tables created by one step before merging.
    """

    max_work: int = 200_000_000
    max_fillings: int = 2_000_000
    max_arcs: int = 10_000_000
    max_items: int = 4_000_000
    max_expansion: int = 40_000_000


class Abandon(Exception):
    """The problem is past the stated limits (the message says which)."""


def compositions(total: int, caps: IntArray) -> IntArray:
    """Every non-negative integer vector ``x`` with ``Σ x = total`` and ``x_j ≤ caps[j]``."""
    caps = np.asarray(caps, dtype=np.int64)
    parts = np.zeros((1, 0), dtype=np.int64)
    rest = np.array([total], dtype=np.int64)
    room = np.r_[np.cumsum(caps[::-1])[::-1], 0]  # room[j] = Σ caps[j:]
    for j in range(caps.size - 1):
        lo = np.maximum(rest - room[j + 1], 0)
        hi = np.minimum(caps[j], rest)
        count = np.maximum(hi - lo + 1, 0)
        owner = np.repeat(np.arange(rest.size), count)
        value = lo[owner] + _ranks(count)
        parts = np.column_stack([parts[owner], value])
        rest = rest[owner] - value
    keep = (rest >= 0) & (rest <= caps[-1])
    return np.column_stack([parts[keep], rest[keep]]).astype(np.int64)


def count_compositions(total: int, caps: IntArray) -> float:
    """How many vectors :func:`compositions` would return (as a float: it may be huge)."""
    poly = np.zeros(total + 1)
    poly[0] = 1.0
    for cap in np.asarray(caps, dtype=np.int64).tolist():
        # multiply by 1 + x + ... + x^cap, truncated at x^total: a windowed running sum
        run = np.cumsum(poly)
        shifted = np.r_[np.zeros(min(cap, total) + 1), run[: total - min(cap, total)]]
        poly = run - shifted
    return float(poly[total])


def _ranks(count: IntArray) -> IntArray:
    """``[0..count[0]-1, 0..count[1]-1, ...]``: position of each repeated item in its run."""
    total = int(count.sum())
    return np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(count) - count, count)


def _expand(count: IntArray, start: IntArray) -> tuple[IntArray, IntArray]:
    """For owners with ``count`` items from ``start``: (owner of each item, item index)."""
    owner = np.repeat(np.arange(count.size), count)
    return owner, start[owner] + _ranks(count)


@dataclass
class _Stage:
    """Nodes of one stage (ascending remaining column sums) with their exact bounds."""

    nodes: IntArray
    keys: IntArray
    longest: FloatArray  # max over completions of v (most probable remaining rows)
    shortest: FloatArray  # min over completions of v
    log_total: FloatArray  # log Σ over completions of exp(v)
    past_max: FloatArray  # max over paths from the first node of their v so far
    past_min: FloatArray
    # arcs to the next stage, sorted by parent
    parent: IntArray
    step: FloatArray
    child: IntArray
    arc_start: IntArray
    arc_count: IntArray


class _Network:
    """The nodes and arcs of a table's network, with exact bounds at every node."""

    def __init__(self, rows: IntArray, cols: IntArray, limits: NetworkLimits) -> None:
        self.rows = rows
        self.c = cols.size
        self.lf = gammaln(np.arange(int(rows.sum()) + 1, dtype=np.float64) + 1.0)
        self.radix = int(cols.max()) + 1
        if self.c * math.log2(self.radix) > 62:
            raise Abandon("the column sums are too large to index the network")
        self.powers = self.radix ** np.arange(self.c, dtype=np.int64)
        levels = [np.sort(cols)[None, :]]
        arcs: list[tuple[IntArray, FloatArray, IntArray]] = []
        n_arcs = 0
        work = 0.0
        for k in range(rows.size - 1):
            nodes = levels[-1]
            caps = nodes.max(axis=0)
            fillings = count_compositions(int(rows[k]), caps)
            if fillings > limits.max_fillings:
                raise Abandon(f"a row can be filled in more than {limits.max_fillings:,} ways")
            work += nodes.shape[0] * fillings
            if work > limits.max_work:
                raise Abandon(f"building the network needs more than {limits.max_work:,} steps")
            comps = compositions(int(rows[k]), caps)
            steps = -self.lf[comps].sum(axis=1)
            parent, which, child_keys = self._children(nodes, comps, n_arcs, limits.max_arcs)
            n_arcs += parent.size
            keys, inverse = np.unique(child_keys, return_inverse=True)
            levels.append(self._decode(keys))
            arcs.append((parent, steps[which], inverse.ravel().astype(np.int64)))
        self.stages = self._bounds(levels, arcs)

    def _key(self, nodes: IntArray) -> IntArray:
        return np.asarray(nodes @ self.powers, dtype=np.int64)

    def _decode(self, keys: IntArray) -> IntArray:
        """Node vectors (ascending column sums) from their keys."""
        return np.asarray((keys[:, None] // self.powers[None, :]) % self.radix, dtype=np.int64)

    def _children(
        self, nodes: IntArray, comps: IntArray, used: int, limit: int
    ) -> tuple[IntArray, IntArray, IntArray]:
        """Valid (parent, composition, child key) triples, parents ascending; at most
        ``limit`` arcs in all, counting the ``used`` ones of earlier stages."""
        block = max(1, _BLOCK // max(1, comps.size))
        parents, which, keys = [], [], []
        found = used
        for s in range(0, nodes.shape[0], block):
            d = nodes[s : s + block, None, :] - comps[None, :, :]
            p, q = np.nonzero((d >= 0).all(axis=2))
            found += p.size
            if found > limit:
                raise Abandon(f"the network has more than {limit:,} arcs")
            parents.append(p + s)
            which.append(q)
            keys.append(self._key(np.sort(d[p, q], axis=1)))
        return np.concatenate(parents), np.concatenate(which), np.concatenate(keys)

    def _bounds(
        self, levels: list[IntArray], arcs: list[tuple[IntArray, FloatArray, IntArray]]
    ) -> list[_Stage]:
        r = self.rows
        n_stage = r.size
        past_max = [np.zeros(1)]
        past_min = [np.zeros(1)]
        for k in range(n_stage - 1):
            parent, step, child = arcs[k]
            hi = np.full(levels[k + 1].shape[0], -np.inf)
            lo = np.full(levels[k + 1].shape[0], np.inf)
            np.maximum.at(hi, child, past_max[k][parent] + step)
            np.minimum.at(lo, child, past_min[k][parent] + step)
            past_max.append(hi)
            past_min.append(lo)
        tail_n = np.cumsum(r[::-1])[::-1]
        tail_lf = np.cumsum(self.lf[r][::-1])[::-1]
        longest: list[FloatArray] = [np.empty(0)] * n_stage
        shortest: list[FloatArray] = [np.empty(0)] * n_stage
        longest[-1] = shortest[-1] = -self.lf[levels[-1]].sum(axis=1)
        for k in range(n_stage - 2, -1, -1):
            parent, step, child = arcs[k]
            hi = np.full(levels[k].shape[0], -np.inf)
            lo = np.full(levels[k].shape[0], np.inf)
            np.maximum.at(hi, parent, step + longest[k + 1][child])
            np.minimum.at(lo, parent, step + shortest[k + 1][child])
            longest[k], shortest[k] = hi, lo
        stages = []
        empty_i = np.zeros(0, dtype=np.int64)
        for k in range(n_stage):
            nodes = levels[k]
            parent, step, child = arcs[k] if k < n_stage - 1 else (empty_i, np.zeros(0), empty_i)
            count = np.bincount(parent, minlength=nodes.shape[0]).astype(np.int64)
            stages.append(
                _Stage(
                    nodes=nodes,
                    keys=self._key(nodes),
                    longest=longest[k],
                    shortest=shortest[k],
                    log_total=self.lf[tail_n[k]] - tail_lf[k] - self.lf[nodes].sum(axis=1),
                    past_max=past_max[k],
                    past_min=past_min[k],
                    parent=parent.astype(np.int64),
                    step=step,
                    child=child,
                    arc_start=np.cumsum(count) - count,
                    arc_count=count,
                )
            )
        return stages


def _merge(
    node: IntArray, value: FloatArray, weight: FloatArray
) -> tuple[IntArray, FloatArray, FloatArray]:
    """Merge items at the same node whose values agree to ``1 / _MERGE_SCALE``; sorted by node."""
    if node.size == 0:
        return node, value, weight
    q = np.rint(-value * _MERGE_SCALE).astype(np.int64)
    q -= q.min()
    span = int(q.max()) + 1
    if span < 2**62 // (int(node.max()) + 1):
        keys = node * span + q
        order = np.argsort(keys, kind="stable")  # items arrive as sorted runs
        keys = keys[order]
        starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    else:
        order = np.lexsort((q, node))
        sn, sq = node[order], q[order]
        starts = np.flatnonzero(np.r_[True, (sn[1:] != sn[:-1]) | (sq[1:] != sq[:-1])])
    first = order[starts]
    return node[first], value[first], np.add.reduceat(weight[order], starts)


class _Items:
    """Values kept per node, sorted by node and, within a node, by value descending."""

    def __init__(self, node: IntArray, value: FloatArray, weight: FloatArray, n_nodes: int):
        self.node, self.value, self.weight = node, value, weight
        count = np.bincount(node, minlength=n_nodes).astype(np.int64)
        self.start = np.cumsum(count) - count
        self.end = self.start + count
        self.negated = -value

    @property
    def size(self) -> int:
        return int(self.node.size)

    def below(self, node: IntArray, limit: FloatArray) -> IntArray:
        """For each query, the first item of ``node`` with value ≤ ``limit`` (end if none)."""
        if node.size == 0:
            return np.zeros(0, dtype=np.int64)
        if np.all(node[1:] >= node[:-1]):
            order = np.arange(node.size)
        else:
            key = node.astype(np.uint16) if self.start.size <= 2**16 else node
            order = np.argsort(key, kind="stable")  # a radix sort for small node counts
        sorted_node = node[order]
        bounds = np.flatnonzero(np.r_[True, sorted_node[1:] != sorted_node[:-1], True])
        if bounds.size - 1 > _LOOP_NODES:
            return self._bisect(node, limit)
        out = np.empty(node.size, dtype=np.int64)
        for a, b in zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
            n = sorted_node[a]
            s, e = self.start[n], self.end[n]
            idx = order[a:b]
            # values descend within a node: negated, they ascend for searchsorted
            out[idx] = s + np.searchsorted(self.negated[s:e], -limit[idx], side="left")
        return out

    def _bisect(self, node: IntArray, limit: FloatArray) -> IntArray:
        """``below`` for queries spread over many nodes: one vectorised binary search."""
        lo, hi = self.start[node].copy(), self.end[node].copy()
        while True:
            active = np.flatnonzero(lo < hi)
            if active.size == 0:
                return lo
            mid = (lo[active] + hi[active]) // 2
            at_most = self.value[mid] <= limit[active]
            hi[active[at_most]] = mid[at_most]
            lo[active[~at_most]] = mid[~at_most] + 1

    def tail_mass(self, ref: FloatArray) -> FloatArray:
        """``tail[j]``: Σ weight·exp(value - ref[node]) over items j.. of the same node.

        One extra zero at the end, so a query past the last item reads 0. Summed from the
        smallest value up within each node, so no node's sum is swamped by another's.
        """
        mass = self.weight * np.exp(self.value - ref[self.node])
        out = np.zeros(mass.size + 1)
        if mass.size:
            rev = mass[::-1]
            nodes = self.node[::-1]
            starts = np.flatnonzero(np.r_[True, nodes[1:] != nodes[:-1]])
            out[:-1] = _segmented_cumsum(rev, starts)[::-1]
        return out

    def ranges(self, first: IntArray, stop: IntArray) -> tuple[IntArray, IntArray]:
        """Items ``first[i]..stop[i]-1`` for every i: (i of each item, item index)."""
        return _expand(np.maximum(stop - first, 0), first)


class _Search:
    """Forward paths and backward completion values, advanced until they meet."""

    def __init__(self, net: _Network, threshold: float, log_k: float, limits: NetworkLimits):
        self.net = net
        self.t = threshold
        self.log_k = log_k
        self.limits = limits
        self.p = 0.0
        # forward: paths at stage kf (node, past value, multiplicity)
        self.kf = 0
        self.fwd = _Items(np.zeros(1, dtype=np.int64), np.zeros(1), np.ones(1), 1)
        # backward: completion values at stage kb kept one by one, and per node the mass of
        # those counting for every path, relative to exp(longest completion of the node)
        last = len(net.stages) - 1
        self.kb = last
        stage = net.stages[last]
        v = stage.longest
        nodes = np.arange(v.size, dtype=np.int64)
        always = v <= self.t - stage.past_max
        keep = ~always & (v <= self.t - stage.past_min)
        self.bwd = _Items(nodes[keep], v[keep], np.ones(int(keep.sum())), v.size)
        self.always = always.astype(np.float64)

    def run(self) -> float:
        while self.kb - self.kf > 1 and self.fwd.size:
            if self._forward_cost() <= self._backward_cost():
                self._forward()
            else:
                self._backward()
            size = max(self.fwd.size, self.bwd.size)
            if size > self.limits.max_items:
                raise Abandon(f"more than {self.limits.max_items:,} partial tables to track")
        if self.fwd.size:
            self._meet()
        return self.p

    def _check_expansion(self, count: IntArray) -> None:
        if int(np.maximum(count, 0).sum()) > self.limits.max_expansion:
            raise Abandon(
                f"one step would create more than {self.limits.max_expansion:,} partial tables"
            )

    def _forward_cost(self) -> int:
        """Items the next forward step could keep (live paths times their arcs)."""
        stage = self.net.stages[self.kf]
        return int(stage.arc_count[self.fwd.node].sum())

    def _backward_cost(self) -> int:
        """Items the next backward step could keep (kept values times the arcs into them)."""
        stage = self.net.stages[self.kb - 1]
        into = np.bincount(stage.child, minlength=self.net.stages[self.kb].nodes.shape[0])
        return int(into[self.bwd.node].sum())

    def _split(self) -> tuple[IntArray, IntArray]:
        """Classify the live paths along every arc of stage ``kf``; add the resolved ones.

        For each arc the paths of its parent node (pasts descending) split into three runs:
        those all of whose completions count (added at once from the tail masses), the
        undecided ones, and those none of whose completions count. Returns, per arc, the
        range of undecided paths.
        """
        stage, nxt = self.net.stages[self.kf], self.net.stages[self.kf + 1]
        f = self.fwd
        parent, step, child = stage.parent, stage.step, stage.child
        add_from = f.below(parent, self.t - step - nxt.longest[child])
        keep_from = f.below(parent, self.t - step - nxt.shortest[child])
        ref = np.zeros(stage.nodes.shape[0])
        has = f.end > f.start
        ref[has] = f.value[f.start[has]]  # the largest past of each node
        tail = f.tail_mass(ref)[add_from]
        tail[add_from >= f.end[parent]] = 0.0
        self.p += float(
            np.sum(np.exp(self.log_k + ref[parent] + step + nxt.log_total[child]) * tail)
        )
        return keep_from, add_from

    def _forward(self) -> None:
        """Extend the undecided paths by one row."""
        stage, nxt = self.net.stages[self.kf], self.net.stages[self.kf + 1]
        f = self.fwd
        keep_from, add_from = self._split()
        self._check_expansion(add_from - keep_from)
        arc, item = f.ranges(keep_from, add_from)
        node, value, weight = _merge(
            stage.child[arc], f.value[item] + stage.step[arc], f.weight[item]
        )
        self.fwd = _Items(node, value, weight, nxt.nodes.shape[0])
        self.kf += 1

    def _backward(self) -> None:
        """Extend the kept completion values back by one row (the mirror of ``_forward``)."""
        stage, nxt = self.net.stages[self.kb - 1], self.net.stages[self.kb]
        b = self.bwd
        parent, step, child = stage.parent, stage.step, stage.child
        every_from = b.below(child, self.t - stage.past_max[parent] - step)
        keep_from = b.below(child, self.t - stage.past_min[parent] - step)
        tail = b.tail_mass(nxt.longest)[every_from]
        tail[every_from >= b.end[child]] = 0.0
        scale = np.exp(step + nxt.longest[child] - stage.longest[parent])
        self.always = np.bincount(
            parent, weights=scale * (self.always[child] + tail), minlength=stage.nodes.shape[0]
        ).astype(np.float64)
        self._check_expansion(every_from - keep_from)
        arc, item = b.ranges(keep_from, every_from)
        node, value, weight = _merge(parent[arc], b.value[item] + step[arc], b.weight[item])
        self.bwd = _Items(node, value, weight, stage.nodes.shape[0])
        self.kb -= 1

    def _meet(self) -> None:
        """Match the undecided paths, one row on, with the kept completion values there.

        The backward side stands one stage after the forward side: each undecided path is
        extended along each arc and looked up among the kept values of the arc's child.
        """
        stage, nxt = self.net.stages[self.kf], self.net.stages[self.kb]
        f, b = self.fwd, self.bwd
        keep_from, add_from = self._split()
        tails = b.tail_mass(nxt.longest)
        count = np.maximum(add_from - keep_from, 0)
        for a, z in _blocks(count):
            owner, item = f.ranges(keep_from[a:z], add_from[a:z])
            arc = owner + a
            child = stage.child[arc]
            past = f.value[item] + stage.step[arc]
            first = b.below(child, self.t - past)
            tail = tails[first]
            tail[first >= b.end[child]] = 0.0
            total = self.always[child] + tail
            self.p += float(
                np.sum(f.weight[item] * np.exp(self.log_k + past + nxt.longest[child]) * total)
            )


def _blocks(count: IntArray) -> list[tuple[int, int]]:
    """Split owners into consecutive runs whose items total about ``_BLOCK`` each."""
    ends = np.cumsum(count)
    out = []
    a = 0
    while a < count.size:
        base = int(ends[a - 1]) if a else 0
        z = max(a + 1, int(np.searchsorted(ends, base + _BLOCK, side="right")))
        out.append((a, z))
        a = z
    return out


def _segmented_cumsum(x: FloatArray, starts: IntArray) -> FloatArray:
    """Cumulative sums restarting at each index in ``starts`` (each segment summed alone)."""
    out = np.empty_like(x)
    ends = np.r_[starts[1:], x.size]
    lengths = ends - starts
    # segments of equal length are summed together as the rows of one matrix
    for length in np.unique(lengths):
        s = starts[lengths == length]
        idx = s[:, None] + np.arange(length)[None, :]
        out[idx] = np.cumsum(x[idx], axis=1)
    return out


def network_pvalue(
    table: IntArray, limits: NetworkLimits | None = None, tolerance: float = LOG_TOLERANCE
) -> float:
    """Exact two-sided Fisher p for ``table`` (no empty rows or columns, at least 2×2).

    Sums the probabilities of the tables, with the margins of ``table``, whose log-probability
    is at most the observed one plus ``tolerance``. Raises :class:`Abandon` past ``limits``.
    """
    limits = limits or NetworkLimits()
    x = np.asarray(table, dtype=np.int64)
    if x.shape[0] < x.shape[1]:
        x = x.T  # stages run over the longer side; nodes hold the shorter one
    x = x[np.argsort(x.sum(axis=1), kind="stable")]  # small rows first, as FEXACT
    rows, cols = x.sum(axis=1), x.sum(axis=0)
    net = _Network(rows, cols, limits)
    lf = net.lf
    threshold = -float(lf[x].sum()) + tolerance
    root = net.stages[0]
    if root.longest[0] <= threshold:
        return 1.0
    log_k = float(lf[rows].sum() + lf[cols].sum() - lf[int(rows.sum())])
    p = _Search(net, threshold, log_k, limits).run()
    return min(1.0, max(0.0, p))
