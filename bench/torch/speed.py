"""PyTorch CPU side of `npm run bench:speed -- --vs-torch` (bench/speed.ts runs this in its own process).

Usage: python bench/torch/speed.py '<json spec>'
  spec = {"threads": n, "warmup": w, "steps": s, "batch": b, "size": 48, "channels": 1, "classes": 7,
          "lr": 0.01, "momentum": 0.9, "weightDecay": 1e-4, "paramsOnly": false,
          "nets": [{"name": "vgg", "arch": {...see nets.build...}}, ...]}
Prints one line `@@RESULT <json>`: the torch version and, per net, the parameter count and shapes (in
our tfjs layout, for the bench to compare) and the timing: the timed part is what bench/speed.ts times
on the tfjs side — the batch's tensor made from a prepared float32 array, train-mode forward, plain
cross-entropy, backward, SGD(momentum, L2 weight decay) step, and the loss read back as a number.
"""
from __future__ import annotations

import json
import os
import sys
import time

# No __pycache__ next to the sources (the repository does not ignore it).
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def machine_busy() -> tuple[float, float] | None:
    """(busy, total) jiffies of the whole machine from /proc/stat, as bench/speed.ts reads them."""
    try:
        with open("/proc/stat") as f:
            v = [float(x) for x in f.readline().split()[1:]]
        idle = v[3] + (v[4] if len(v) > 4 else 0)
        total = sum(v)
        return total - idle, total
    except OSError:
        return None


def main() -> None:
    spec = json.loads(sys.argv[1])
    threads = int(spec["threads"])
    # Set before torch creates its pools (it reads these at first use); set_num_threads below is authoritative.
    os.environ["OMP_NUM_THREADS"] = str(threads)
    os.environ["MKL_NUM_THREADS"] = str(threads)
    import warnings

    # The +cpu wheel does not need numpy, and this bench does not use it.
    warnings.filterwarnings("ignore", message="Failed to initialize NumPy")
    import torch
    from torch import nn

    import nets

    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    torch.manual_seed(1)
    size, ch, classes, batch = spec["size"], spec["channels"], spec["classes"], spec["batch"]
    out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "mkldnn": torch.backends.mkldnn.is_available(), "nets": []}
    for net in spec["nets"]:
        r: dict = {"name": net["name"]}
        try:
            model = nets.build(net["arch"], ch, classes)
            r["params"] = sum(p.numel() for p in model.parameters() if p.requires_grad)
            r["shapes"] = nets.shapes_in_our_layout(model)
            if spec.get("paramsOnly"):
                out["nets"].append(r)
                continue
            model.train()
            opt = torch.optim.SGD(model.parameters(), lr=spec["lr"], momentum=spec["momentum"], weight_decay=spec["weightDecay"])
            loss_fn = nn.CrossEntropyLoss()
            g = torch.Generator().manual_seed(1)
            # Standardised random pixels, prepared outside the timing (as on the tfjs side); each step
            # copies one (the tfjs side copies its Float32Array into a tensor).
            xs = [torch.randn((batch, ch, size, size), generator=g) for _ in range(4)]
            y = torch.tensor([i % classes for i in range(batch)], dtype=torch.long)

            def step(k: int) -> float:
                x = xs[k % len(xs)].clone()
                opt.zero_grad(set_to_none=True)
                loss = loss_fn(model(x), y)
                loss.backward()
                opt.step()
                return float(loss.item())

            for k in range(spec["warmup"]):
                step(k)
            m0 = machine_busy()
            c0 = time.process_time()
            t0 = time.perf_counter()
            losses = [step(spec["warmup"] + k) for k in range(spec["steps"])]
            wall = time.perf_counter() - t0
            cpu = time.process_time() - c0
            m1 = machine_busy()
            hz = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
            others = max(0.0, ((m1[0] - m0[0]) / hz - cpu) / wall) if m0 and m1 else None
            r.update({"steps": spec["steps"], "wallS": wall, "cpuS": cpu, "others": others, "lastLoss": losses[-1]})
        except Exception as e:  # reported per net; the bench prints it in the table
            r["error"] = f"{type(e).__name__}: {e}"
        out["nets"].append(r)
        print(f"  torch x{threads} {net['name']}: {r.get('error') or 'ok'}", file=sys.stderr, flush=True)
    print("@@RESULT " + json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
