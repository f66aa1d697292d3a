"""Checks the Dockerfile against the built binary and hack/setup.sh (see
dockerfile.test.sh), or with --context DOCKERIGNORE prints the files of the build
context (git ls-files less the .dockerignore patterns, Docker's matching rules:
last match wins, "!" re-includes, a pattern matching a folder matches what is in it).
"""
import re
import subprocess
import sys


def run(*cmd):
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout


def stages(dockerfile):
    """[(from image, [instructions joined over continuations])]"""
    text = re.sub(r"\\\n", " ", open(dockerfile).read())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        if word.upper() == "FROM":
            out.append((rest.split()[0], []))
        elif out:
            out[-1][1].append((word.upper(), rest.strip()))
    return out


def apt_packages(instructions):
    pkgs = []
    for word, rest in instructions:
        if word == "RUN":
            for m in re.finditer(r"apt-get install ([^&|;]*)", rest):
                pkgs += [p for p in m.group(1).split() if not p.startswith("-")]
    return pkgs


def pkg_of(path):
    out = subprocess.run(["dpkg", "-S", path], capture_output=True, text=True).stdout
    if not out:  # /lib is a symlink to /usr/lib on merged-/usr systems
        alt = path.replace("/usr/lib/", "/lib/") if path.startswith("/usr/") else "/usr" + path
        out = subprocess.run(["dpkg", "-S", alt], capture_output=True, text=True).stdout
    return out.split(":")[0] if out else None


def closure(pkgs):
    """Installed packages reachable from pkgs through Depends and Pre-Depends."""
    seen, todo = set(), list(pkgs)
    while todo:
        p = todo.pop()
        if p in seen:
            continue
        seen.add(p)
        deps = subprocess.run(["dpkg-query", "-W", "-f=${Depends}, ${Pre-Depends}", p],
                              capture_output=True, text=True).stdout
        for alt in deps.split(","):
            for choice in alt.split("|"):
                name = choice.strip().split(" ")[0].split(":")[0]
                if name:
                    todo.append(name)
                    break
    return seen


def check(dockerfile, setup, binary):
    problems = []
    st = stages(dockerfile)
    if len(st) < 2:
        problems.append("not a multi-stage build")
    build_img, build = st[0]
    run_img, runtime = st[-1]
    if not build_img.startswith("debian:bookworm") or not run_img.startswith("debian:bookworm"):
        problems.append("stages are not Debian bookworm: %s, %s" % (build_img, run_img))

    # runtime libraries
    runtime_pkgs = apt_packages(runtime)
    required = run("dpkg-query", "-W", "-f=${Package} ${Priority} ${Essential}\n").splitlines()
    base = {l.split()[0] for l in required if " required" in l or l.endswith(" yes")}
    have = closure(set(runtime_pkgs) | base)
    libs = {}
    for line in run("ldd", binary).splitlines():
        m = re.match(r"\s*(\S+) => (/\S+)", line)
        if m:
            libs[m.group(1)] = m.group(2)
    for soname, path in sorted(libs.items()):
        pkg = pkg_of(path)
        if pkg is None:
            problems.append("%s (%s) belongs to no Debian package" % (soname, path))
        elif pkg not in have:
            problems.append("%s comes from %s, which the runtime image would not have" % (soname, pkg))
    needed = re.findall(r"\(NEEDED\)\s+Shared library: \[(\S+)\]", run("readelf", "-d", binary))
    direct = {pkg_of(libs[n]) for n in needed if n in libs}
    for p in runtime_pkgs:
        if p == "ca-certificates":
            continue  # data: the CAs libcurl verifies the API server and Prometheus with
        if p not in direct:
            problems.append("runtime package %s provides no library burnrate links (NEEDED: %s)"
                            % (p, ", ".join(needed)))
    print("runtime: %d libraries resolved, all from %s or their dependencies"
          % (len(libs), " ".join(runtime_pkgs)))

    # user and entrypoint
    users = [rest for w, rest in runtime if w == "USER"]
    if not users:
        problems.append("no USER: the image would run as root")
    else:
        uid = users[-1].split(":")[0]
        if not uid.isdigit() or int(uid) == 0:
            problems.append("USER %s is not a numeric non-root UID (runAsNonRoot cannot verify a name)" % users[-1])
    ep = [rest for w, rest in runtime if w == "ENTRYPOINT"]
    if not ep or "burnrate" not in ep[-1] or not ep[-1].startswith("["):
        problems.append("ENTRYPOINT is not burnrate in exec form")
    copied = [rest for w, rest in runtime if w == "COPY"]
    if not any("--from=" in c and "burnrate" in c for c in copied):
        problems.append("the runtime stage does not copy burnrate from the build stage")

    # build dependencies: those of hack/setup.sh that build (the test-only tools aside)
    m = re.search(r"packages=\((.*?)\)", open(setup).read(), re.S)
    setup_pkgs = m.group(1).split() if m else []
    build_deps = [p for p in setup_pkgs if p in ("build-essential", "cmake", "pkg-config")
                  or (p.endswith("-dev") and not p.startswith("libclang"))]
    missing = sorted(set(build_deps) - set(apt_packages(build)))
    if missing:
        problems.append("the build stage lacks hack/setup.sh's build dependencies: " + " ".join(missing))
    print("build stage: has %s" % " ".join(build_deps))
    for p in problems:
        print("FAIL: " + p)
    return 1 if problems else 0


def context(dockerignore):
    pats = []
    for line in open(dockerignore):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        neg = line.startswith("!")
        p = line[1:] if neg else line
        p = p.strip("/")
        rx = ""
        i = 0
        while i < len(p):
            if p.startswith("**", i):
                rx += ".*"
                i += 2
            elif p[i] == "*":
                rx += "[^/]*"
                i += 1
            elif p[i] == "?":
                rx += "[^/]"
                i += 1
            else:
                rx += re.escape(p[i])
                i += 1
        pats.append((re.compile("^" + rx + "$"), neg))
    files = run("git", "ls-files", "--cached", "--others", "--exclude-standard").splitlines()
    for f in files:
        parts = f.split("/")
        prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
        excluded = False
        for rx, neg in pats:
            if any(rx.match(x) for x in prefixes):
                excluded = not neg
        if not excluded:
            print(f)
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "--context":
        sys.exit(context(sys.argv[2]))
    sys.exit(check(*sys.argv[1:4]))
