"""Programme knowledge as data, and the pure-Python logic over it.

Never imports telegram or sqlalchemy: everything here is tested on its own.
"""
