-- Argo CD health check for burnrate.dev/ServiceLevelObjective (kstatus semantics):
-- Progressing until burnrate has observed this generation, then Ready decides:
-- True is Healthy, False is Degraded (the message names the field), else Progressing.
-- The budget (BudgetHealthy) is the service's health, not the object's: it is shown
-- in the message, never makes the application Degraded.
local hs = { status = "Progressing", message = "waiting for burnrate to reconcile" }
if obj.status == nil then
  return hs
end
local gen = obj.metadata.generation
if obj.status.observedGeneration == nil or (gen ~= nil and obj.status.observedGeneration < gen) then
  hs.message = "burnrate has not observed generation " .. tostring(gen) .. " yet"
  return hs
end
local ready, budget = nil, nil
if obj.status.conditions ~= nil then
  for _, c in ipairs(obj.status.conditions) do
    if c.type == "Ready" then
      ready = c
    elseif c.type == "BudgetHealthy" then
      budget = c
    end
  end
end
if ready == nil then
  return hs
end
if ready.status == "True" then
  hs.status = "Healthy"
  hs.message = ready.message or ""
  if budget ~= nil and budget.status == "False" then
    hs.message = hs.message .. "; " .. (budget.reason or "") .. ": " .. (budget.message or "")
  end
elseif ready.status == "False" then
  hs.status = "Degraded"
  hs.message = (ready.reason or "") .. ": " .. (ready.message or "")
else
  hs.message = ready.message or hs.message
end
return hs
