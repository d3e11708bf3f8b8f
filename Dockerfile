# A static binary (pure-Go SQLite, no cgo) in a minimal image.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/cluetrain .

# Fly mounts volumes owned by root, so the process runs as root to write the
# SQLite file in /data; the image holds nothing but the binary.
FROM gcr.io/distroless/static-debian12
COPY --from=build /out/cluetrain /cluetrain
ENV PORT=3000 DATABASE_URL=sqlite:/data/cluetrain.db
EXPOSE 3000
ENTRYPOINT ["/cluetrain"]
