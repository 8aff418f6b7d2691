-- One life-cycle transition per request: an MFA officer takes submitted requests, each once,
-- read from the file named by TAKE_IDS ("id version" per line); threads share it out.
local counter = 0
local threads = {}

setup = function(thread)
  thread:set("offset", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

init = function(args)
  ids = {}
  for line in io.lines(os.getenv("TAKE_IDS")) do
    local id, version = line:match("(%S+)%s+(%d+)")
    table.insert(ids, { id = id, version = version })
  end
  step = tonumber(os.getenv("TAKE_THREADS") or "2")
  index = (offset or 0) + 1
end

request = function()
  local r = ids[index]
  index = index + step
  if not r then
    r = ids[1]
  end
  return wrk.format("POST", "/api/v1/requests/" .. r.id .. "/transitions", nil,
    '{"action":"take","version":' .. r.version .. '}')
end
