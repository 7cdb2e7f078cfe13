"""The staff console (管理台): server-rendered pages in Chinese, English switchable."""
