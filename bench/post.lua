-- wrk script: add-to-cart, one item for a fresh user every request, so stock (which the sandbox
-- honours per cart) never runs out and every request takes the real path to a 200.
-- Arguments after "--": a run tag, then the items to cycle through as item_id:size.
dofile("report.lua")

local next_id = 0
function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
end

local items, tag, count = {}, "run", 0
function init(args)
  tag = args[1] or tag
  for i = 2, #args do
    local id, size = args[i]:match("^(%d+):(.+)$")
    items[#items + 1] = string.format('{"item_id": %s, "item_size": "%s", "quantity": 1}', id, size)
  end
  if #items == 0 then error("post.lua: no items given (item_id:size after the run tag)") end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end

function request()
  count = count + 1
  local body = string.format('{"user_id": "bench-%s-%d-%d", "items": [%s]}',
                             tag, tid or 0, count, items[count % #items + 1])
  return wrk.format(nil, nil, nil, body)
end
