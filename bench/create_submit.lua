-- Draft creation and submission through the API, alternately: every created draft is
-- submitted by a later request (the token and Content-Type come from wrk's -H options).
local pending = {}
local today = os.date("!%Y-%m-%d", os.time() + 86400)
local body = '{"title":"Guard during the national day","justification":"Threats were received this week by e-mail.",' ..
  '"urgency":"urgent","contact":{"name":"Ana","phone":"+354 555 0100","email":"ana@seed.example"},' ..
  '"measures":[{"kind":"static_guard","location":"chancery","starts_on":"' .. today ..
  '","description":"Around the clock"}]}'

request = function()
  local next = table.remove(pending)
  if next then
    return wrk.format("POST", "/api/v1/requests/" .. next.id .. "/transitions", nil,
      '{"action":"submit","version":' .. next.version .. '}')
  end
  return wrk.format("POST", "/api/v1/requests", nil, body)
end

response = function(status, headers, body)
  if status == 201 then
    local id = body:match('"id":"([^"]+)"')
    local version = body:match('"version":(%d+)')
    if id and version then
      table.insert(pending, { id = id, version = version })
    end
  end
end
