-- wrk script: each request is made by a store's owner, with a real JWT minted for them by the bench seeder.
-- REQUESTS: file of "<token> <store id>" lines; MODE: "get" (GET /stores/{id}) or "list" (GET /stores?limit=50).
local lines = {}
for line in io.lines(os.getenv("REQUESTS")) do
  local token, id = line:match("^(%S+) (%S+)$")
  lines[#lines + 1] = { token = token, id = id }
end
local list = os.getenv("MODE") == "list"
local counter = 0

request = function()
  counter = counter + 1
  local r = lines[(counter * 7919) % #lines + 1]
  local path = list and "/stores?limit=50" or ("/stores/" .. r.id)
  return wrk.format("GET", path, { ["Authorization"] = "Bearer " .. r.token })
end

