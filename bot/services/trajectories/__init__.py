"""Trajectories: registering by chat, following up, fields, exports."""
