curl -H 'Authorization: Basic Y2ktYm90OmdocF83NmN5d29JMHV2a0h3UzZRSHdFS3l4d2oyRmRWckYyakQ4M1g=' https://npm.pkg.github.com/northwind
