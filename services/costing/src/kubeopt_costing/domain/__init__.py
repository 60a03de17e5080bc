"""Pure cost math: pricing lookups, allocation of node cost to containers and idle, windows."""
