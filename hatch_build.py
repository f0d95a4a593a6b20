"""Build hook: compile the optional C kernel (tbx_widget/_native.c) into the wheel.

Where no C compiler (or no Python headers) is found the wheel is built without it, with a
warning, and tbx_widget uses its numpy code instead; nothing else changes.
"""
from __future__ import annotations

import os
import sysconfig
import tempfile
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface

SOURCE = os.path.join("tbx_widget", "_native.c")


class NativeBuildHook(BuildHookInterface):
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "wheel" or os.environ.get("TBX_NO_NATIVE"):
            return
        try:
            built = self._compile()
        except Exception as exc:  # any compiler problem: ship the numpy path only
            self.app.display_warning(f"tbx_widget: optional C kernel not built ({exc}); using numpy instead")
            return
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        build_data["force_include"][built] = os.path.join("tbx_widget", os.path.basename(built))

    def _compile(self) -> str:
        from setuptools import Distribution, Extension

        root = self.root
        ext = Extension("tbx_widget._native", sources=[SOURCE])
        dist = Distribution({"name": "tbx_widget", "ext_modules": [ext], "script_name": "hatch_build.py"})
        dist.src_root = root
        cmd = dist.get_command_obj("build_ext")
        cmd.inplace = True  # next to the sources: editable installs import it from there
        cwd = os.getcwd()
        os.chdir(root)
        try:
            with tempfile.TemporaryDirectory() as temp:  # objects: not left in the tree, never stale
                cmd.build_temp = os.path.join(temp, "temp")
                cmd.build_lib = os.path.join(temp, "lib")
                cmd.ensure_finalized()
                cmd.run()
        finally:
            os.chdir(cwd)
        built = os.path.join(root, "tbx_widget", "_native" + sysconfig.get_config_var("EXT_SUFFIX"))
        if not os.path.exists(built):
            raise RuntimeError(f"{built} was not produced")
        return built
