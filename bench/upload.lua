-- Attachment uploads through the API: the file named by UPLOAD_FILE, as multipart/form-data, to
-- the drafts listed in UPLOAD_IDS (one id per line), in turn; threads share the drafts out (the
-- token comes from wrk's -H option).
local counter = 0

setup = function(thread)
  thread:set("offset", counter)
  counter = counter + 1
end

init = function(args)
  ids = {}
  for line in io.lines(os.getenv("UPLOAD_IDS")) do
    table.insert(ids, line)
  end
  local file = assert(io.open(os.getenv("UPLOAD_FILE"), "rb"))
  local data = file:read("*a")
  file:close()
  local boundary = "pp-bench-7d41c2"
  body = "--" .. boundary .. "\r\n" ..
    'Content-Disposition: form-data; name="file"; filename="site-plan.png"\r\n' ..
    "Content-Type: image/png\r\n\r\n" .. data .. "\r\n--" .. boundary .. "--\r\n"
  -- wrk.format uses the headers it is given instead of wrk's own (the token, Host): copy them.
  headers = {}
  for name, value in pairs(wrk.headers) do
    headers[name] = value
  end
  headers["Content-Type"] = "multipart/form-data; boundary=" .. boundary
  step = tonumber(os.getenv("UPLOAD_THREADS") or "2")
  index = (offset or 0) + 1
end

request = function()
  local id = ids[((index - 1) % #ids) + 1]
  index = index + step
  return wrk.format("POST", "/api/v1/requests/" .. id .. "/attachments", headers, body)
end
