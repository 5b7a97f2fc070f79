// The MIG catalog, layouts, planner and quota engine live here (issue 4).
