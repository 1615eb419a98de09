-- Bench: the interpreter loop of main.aro in Lua 5.4 (bench/interp/README.md).
for i = 1, 2000000 do
  local a = i * 3 + 7
  local b = a % 1000 - i // 5
  local label = "item-" .. b
end
print("done")
