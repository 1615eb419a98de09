# Bench: the interpreter loop of main.aro in Python 3 (bench/interp/README.md), at module level.
for i in range(1, 2000001):
    a = i * 3 + 7
    b = a % 1000 - i // 5
    label = "item-" + str(b)
print("done")
