-- wrk walks a collection page by page: each connection requests the paths
-- of the file given after --, one per line, in order, from the first page
-- again after the last, as a client following next links does.
local paths = {}
local token = ""

function init(args)
	for line in io.lines(args[1]) do
		paths[#paths + 1] = line
	end
	token = args[2] or ""
	if token ~= "" then
		wrk.headers["Authorization"] = "Bearer " .. token
	end
end

local at = 0

function request()
	at = at % #paths + 1
	return wrk.format("GET", paths[at])
end
