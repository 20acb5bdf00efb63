FROM python:3.12-slim
WORKDIR /srv
ENV NPM_TOKEN=npm_8t6WMoRE33JPsNJ47od4fXT8ANg11twHbssB
CMD ["gunicorn", "app:app"]
