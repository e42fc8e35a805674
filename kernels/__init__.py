"""Numba kernels of tinygradnb, one package per device with the same function names and signatures.

``cpu/`` holds ``@njit`` kernels over NumPy arrays. Kernels are pure functions of arrays: they never import
``tinygradnb``'s Tensor. The engine reaches them only through ``tinygradnb.device.backend``.
"""
