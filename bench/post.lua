-- wrk script: POST the seeds' message (322 bytes of JSON) to /message/publish
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"ts":"19941114","sender":"haimeng","messageAttributes":{"publisher":"---publisher is ready rabbitmq---","consumer":"postgres IS READY!","team":"platform","region":"eu-west-1","trace":"0af7651916cd43dd8448eb211c80319c"},"sent_from_ip":"10.1.2.3","priority":1,"type":"message.published"}'
