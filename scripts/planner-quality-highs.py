#!/usr/bin/env python3
"""Planner quality on large instances against an integer-programme optimum (HiGHS).

Usage:
    swift build -c release --product n8s-quality
    .build/release/n8s-quality --export /tmp/quality.jsonl 30 1
    scripts/planner-quality-highs.py /tmp/quality.jsonl [--time-limit 60]

Installs PyPI `highspy` into the repository's .venv when missing, then re-runs itself there.
For each instance (written by `n8s-quality --export`, see PlannerQuality.export):
  stage 1: maximise pods fitted, lexicographically from the highest priority down (weights
           (P+1)^priority); every pod on at most one node that passes its static predicates,
           CPU, memory and pod count per node, and per node and profile the devices asked no more
           than the GPUs' chosen options supply (one option per GPU: a layout that keeps used
           instances, with the instances handed out);
  stage 2: with stage 1's count fixed at every priority, minimise destroyed × (G+1) + changed.
Prints per objective the aggregate ratio, the worst instance and how many instances are not
optimal. An instance's pods-fitted ratio is taken at the highest priority where planner and
optimum differ (lexicographic, as the objective is); the aggregate is total pods over total pods.
Exit status 1 when pods fitted < 99.5% in aggregate or < 95% on some instance, objective (2) is
not optimal on more than 1% of the instances where (1) ties, or the planner broke a hard rule.
"""
import json
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VENV = os.path.join(ROOT, ".venv")
PYTHON = os.path.join(VENV, "bin", "python")
HIGHSPY = "highspy==1.15.1"


def ensure_highspy():
    try:
        import highspy  # noqa: F401
        return
    except ImportError:
        pass
    if os.path.realpath(sys.executable) != os.path.realpath(PYTHON):
        if not os.path.exists(PYTHON):
            subprocess.check_call([sys.executable, "-m", "venv", VENV])
        if subprocess.call([PYTHON, "-c", "import highspy"], stderr=subprocess.DEVNULL) != 0:
            subprocess.check_call([PYTHON, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", HIGHSPY])
        os.execv(PYTHON, [PYTHON] + sys.argv)
    subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", HIGHSPY])


def solve(inst, time_limit):
    import highspy

    keys = inst["keys"]
    nodes = inst["nodes"]
    pods = inst["pods"]
    priorities = sorted({p["priority"] for p in pods})
    weight = {pr: (len(pods) + 1) ** i for i, pr in enumerate(priorities)}
    gpu_count = sum(len(n["gpus"]) for n in nodes)

    def model():
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("time_limit", float(time_limit))
        x = {}
        for i, p in enumerate(pods):
            for n in p["eligible"]:
                node = nodes[n]
                if p["cpuMilli"] > node["cpuMilli"] or p["memoryBytes"] > node["memoryBytes"]:
                    continue
                x[i, n] = h.addBinary()
        y = {}
        for n, node in enumerate(nodes):
            for g, options in enumerate(node["gpus"]):
                vs = [h.addBinary() for _ in options]
                for o, v in enumerate(vs):
                    y[n, g, o] = v
                h.addConstr(sum(vs) == 1)
        for i in range(len(pods)):
            mine = [v for (j, _), v in x.items() if j == i]
            if len(mine) > 1:
                h.addConstr(sum(mine) <= 1)
        for n, node in enumerate(nodes):
            here = [(i, v) for (i, m), v in x.items() if m == n]
            if not here:
                continue
            h.addConstr(sum(pods[i]["cpuMilli"] * v for i, v in here) <= node["cpuMilli"])
            h.addConstr(sum((pods[i]["memoryBytes"] / 2**20) * v for i, v in here) <= node["memoryBytes"] / 2**20)
            h.addConstr(sum(v for _, v in here) <= node["pods"])
            for k in range(len(keys)):
                asked = [(pods[i]["devices"][k], v) for i, v in here if pods[i]["devices"][k] > 0]
                if not asked:
                    continue
                supply = [opt[2 + k] * y[n, g, o] for g, options in enumerate(node["gpus"]) for o, opt in enumerate(options) if opt[2 + k] > 0]
                h.addConstr(sum(d * v for d, v in asked) - sum(supply) <= 0)
        return h, x, y

    h, x, y = model()
    if not x:
        return {}, 0, 0, True
    h.maximize(sum(weight[pods[i]["priority"]] * v for (i, _), v in x.items()))
    optimal = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
    fitted = {}
    for (i, _), v in x.items():
        if h.val(v) > 0.5:
            fitted[pods[i]["priority"]] = fitted.get(pods[i]["priority"], 0) + 1
    # Stage 2: same pods fitted per priority, fewest destroyed, then fewest changed.
    h2, x2, y2 = model()
    for pr in priorities:
        mine = [v for (i, _), v in x2.items() if pods[i]["priority"] == pr]
        if mine:
            h2.addConstr(sum(mine) >= fitted.get(pr, 0))
    cost = []
    for (n, g, o), v in y2.items():
        opt = nodes[n]["gpus"][g][o]
        if opt[0] or opt[1]:
            cost.append((opt[0] * (gpu_count + 1) + opt[1]) * v)
    destroyed = changed = 0
    if cost:
        h2.minimize(sum(cost))
        optimal = optimal and h2.getModelStatus() == highspy.HighsModelStatus.kOptimal
        for (n, g, o), v in y2.items():
            if h2.val(v) > 0.5:
                destroyed += nodes[n]["gpus"][g][o][0]
                changed += nodes[n]["gpus"][g][o][1]
    return fitted, destroyed, changed, optimal


def main():
    args = [a for a in sys.argv[1:]]
    time_limit = 60
    if "--time-limit" in args:
        i = args.index("--time-limit")
        time_limit = float(args[i + 1])
        del args[i:i + 2]
    if not args:
        print(__doc__)
        return 2
    ensure_highspy()
    planned = optimal_total = 0
    not_optimal = ties = changes_bad = 0
    changes = optimal_changes = 0
    worst = None  # (ratio, seed, priority, planner, optimum) at the first priority where they differ
    worst_changes = None
    violations = 0
    unproven = ahead = 0
    count = 0
    with open(args[0]) as f:
        for line in f:
            if not line.strip():
                continue
            inst = json.loads(line)
            count += 1
            fitted, destroyed, changed, is_optimal = solve(inst, time_limit)
            unproven += 0 if is_optimal else 1
            mine = {int(k): v for k, v in inst["planner"]["fitted"].items()}
            violations += inst["planner"]["violations"]
            a, b = sum(mine.values()), sum(fitted.values())
            planned += a
            optimal_total += b
            prios = sorted(set(mine) | set(fitted), reverse=True)
            first = next((p for p in prios if mine.get(p, 0) != fitted.get(p, 0)), None)
            if first is None:
                ratio = 1.0
            elif mine.get(first, 0) > fitted.get(first, 0):
                ratio = 1.0  # the solver stopped at its time limit short of the planner
                ahead += 1
            else:
                ratio = mine.get(first, 0) / fitted[first]
            if first is not None and ratio < 1.0:
                not_optimal += 1
            if worst is None or ratio < worst[0]:
                worst = (ratio, inst["seed"], first, mine.get(first, 0), fitted.get(first, 0))
            pd, pc = inst["planner"]["destroyed"], inst["planner"]["changed"]
            if first is None:
                ties += 1
                changes += pd + pc
                optimal_changes += destroyed + changed
                if (pd, pc) != (destroyed, changed):
                    changes_bad += 1
                    if worst_changes is None or (pd - destroyed, pc - changed) > worst_changes[0]:
                        worst_changes = ((pd - destroyed, pc - changed), inst["seed"], pd, pc, destroyed, changed)
            by_priority = ", ".join(f"p{p} {mine.get(p, 0)}/{fitted.get(p, 0)}" for p in prios)
            print(f"seed {inst['seed']}: pods {len(inst['pods'])}, fitted planner/optimum {a}/{b} ({by_priority}); "
                  f"destroyed/changed planner {pd}/{pc}, optimum {destroyed}/{changed}"
                  + ("" if is_optimal else " (time limit: optimum not proven)"))
    aggregate = planned / optimal_total if optimal_total else 1.0
    print(f"instances: {count}; integer programme solved with HiGHS, {time_limit:g} s limit per stage; not proven optimal: {unproven}"
          + (f" (on {ahead} of them the planner fits more at the first priority that differs: counted as ties)" if ahead else ""))
    print(f"(1) pods fitted: planner {planned}, optimum {optimal_total}, aggregate ratio {aggregate * 100:.2f}% (target >= 99.5%); "
          f"not optimal (fewer at the highest priority that differs) on {not_optimal} instance(s)")
    if worst and worst[2] is not None:
        print(f"    worst instance: seed {worst[1]}: at priority {worst[2]} planner {worst[3]} / optimum {worst[4]} "
              f"({worst[0] * 100:.1f}%, target >= 95%)")
    else:
        print("    worst instance: none (every instance optimal)")
    ratio2 = optimal_changes / changes if changes else 1.0
    pct = changes_bad * 100 / ties if ties else 0.0
    print(f"(2) where (1) ties ({ties} instances): destroyed+changed planner {changes}, optimum {optimal_changes}, ratio {ratio2:.4f}; "
          f"not optimal on {changes_bad} ({pct:.1f}%, target <= 1%)")
    if worst_changes:
        print(f"    worst instance: seed {worst_changes[1]}: destroyed/changed planner {worst_changes[2]}/{worst_changes[3]}, "
              f"optimum {worst_changes[4]}/{worst_changes[5]}")
    print("(3) room: not scored here (exhaustive scorer only)")
    print(f"hard-rule violations: {violations}")
    ok = violations == 0 and aggregate >= 0.995 and (worst is None or worst[0] >= 0.95) and (ties == 0 or changes_bad <= 0.01 * ties)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
