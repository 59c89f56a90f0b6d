"""The discrete-event model: streams, rules, ladder, on SimPy."""

from sim.engine.model import CompiledModel, compile_model
from sim.engine.simulate import simulate

__all__ = ["CompiledModel", "compile_model", "simulate"]
