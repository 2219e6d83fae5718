from sqlingest.jvm import ensure_jars

for jar in ensure_jars(quiet=False):
    print(jar)
