<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="zh_CN">
<context>
    <name>QDialog</name>
    <message>
        <source>SmartBot — Usage</source>
        <translation>SmartBot — 使用说明</translation>
    </message>
</context>
<context>
    <name>smartbot::gui::AuditPanel</name>
    <message>
        <source>Time</source>
        <translation>时间</translation>
    </message>
    <message>
        <source>Who</source>
        <translation>操作者</translation>
    </message>
    <message>
        <source>From</source>
        <translation>来源</translation>
    </message>
    <message>
        <source>Action</source>
        <translation>操作</translation>
    </message>
    <message>
        <source>Detail</source>
        <translation>详情</translation>
    </message>
    <message>
        <source>Key or user</source>
        <translation>密钥或用户</translation>
    </message>
    <message>
        <source>Requests</source>
        <translation>请求数</translation>
    </message>
    <message>
        <source>Prompt tokens</source>
        <translation>提示词元</translation>
    </message>
    <message>
        <source>Generated tokens</source>
        <translation>生成词元</translation>
    </message>
    <message>
        <source>Last request</source>
        <translation>最近请求</translation>
    </message>
    <message>
        <source>Cannot read the audit log: %1</source>
        <translation>无法读取审计日志：%1</translation>
    </message>
    <message>
        <source>Start the server to read its audit log and usage.</source>
        <translation>启动服务器后即可查看审计日志和用量。</translation>
    </message>
    <message>
        <source>Filter by who, address, action or detail</source>
        <translation>按操作者、地址、操作或详情筛选</translation>
    </message>
    <message>
        <source>Entries:</source>
        <translation>条数：</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>刷新</translation>
    </message>
    <message>
        <source>Audit log (newest first)</source>
        <translation>审计日志（最新在前）</translation>
    </message>
    <message>
        <source>Usage per key or user</source>
        <translation>每个密钥或用户的用量</translation>
    </message>
    <message>
        <source>never</source>
        <comment>not used yet</comment>
        <translation>从未</translation>
    </message>
</context>
<context>
    <name>smartbot::gui::BackupsPanel</name>
    <message>
        <source>File</source>
        <translation>文件</translation>
    </message>
    <message>
        <source>Created</source>
        <translation>创建时间</translation>
    </message>
    <message>
        <source>Size</source>
        <translation>大小</translation>
    </message>
    <message>
        <source>Members</source>
        <translation>成员数</translation>
    </message>
    <message>
        <source>Key files</source>
        <translation>密钥文件</translation>
    </message>
    <message>
        <source>Models</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Restore into</source>
        <translation>恢复到</translation>
    </message>
    <message>
        <source>Backups</source>
        <translation>备份</translation>
    </message>
    <message>
        <source>Refresh</source>
        <translation>刷新</translation>
    </message>
    <message>
        <source>Create, verify, restore</source>
        <translation>创建、校验、恢复</translation>
    </message>
    <message>
        <source>Passphrase:</source>
        <translation>口令：</translation>
    </message>
    <message>
        <source>Seals the key files; empty: [backup] passphrase_file, else they are left out</source>
        <translation>用于加密密钥文件；留空：使用 [backup] passphrase_file，否则不包含密钥文件</translation>
    </message>
    <message>
        <source>Include the model folders</source>
        <translation>包含模型文件夹</translation>
    </message>
    <message>
        <source>Create backup</source>
        <translation>创建备份</translation>
    </message>
    <message>
        <source>Verify</source>
        <translation>校验</translation>
    </message>
    <message>
        <source>Reads the chosen backup whole and checks every member (with the passphrase: the sealed key files too).</source>
        <translation>完整读取所选备份并检查每个成员（提供口令时也检查加密的密钥文件）。</translation>
    </message>
    <message>
        <source>Restore into:</source>
        <translation>恢复到：</translation>
    </message>
    <message>
        <source>A new, empty folder (the running server&apos;s folder is not replaced)</source>
        <translation>一个新的空文件夹（不会替换正在运行的服务器所用的文件夹）</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>Restore</source>
        <translation>恢复</translation>
    </message>
    <message>
        <source>Schedule (server.conf [backup], from the next start)</source>
        <translation>定时备份（server.conf 中的 [backup]，下次启动起生效）</translation>
    </message>
    <message>
        <source>Back up:</source>
        <translation>备份频率：</translation>
    </message>
    <message>
        <source>never</source>
        <translation>从不</translation>
    </message>
    <message>
        <source>every hour</source>
        <translation>每小时</translation>
    </message>
    <message>
        <source>every day</source>
        <translation>每天</translation>
    </message>
    <message>
        <source>Keep the newest:</source>
        <translation>保留最新的：</translation>
    </message>
    <message>
        <source>Passphrase file:</source>
        <translation>口令文件：</translation>
    </message>
    <message>
        <source>e.g. backup.pass (mode 600; relative to the config folder)</source>
        <translation>例如 backup.pass（权限 600；相对于配置文件夹）</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>保存</translation>
    </message>
    <message>
        <source>Choose a config folder in the Server panel.</source>
        <translation>请在服务器面板中选择配置文件夹。</translation>
    </message>
    <message>
        <source>In %1</source>
        <translation>位于 %1</translation>
    </message>
    <message>
        <source>sealed</source>
        <translation>已加密</translation>
    </message>
    <message>
        <source>none</source>
        <translation>无</translation>
    </message>
    <message>
        <source>left out: %1</source>
        <translation>未包含：%1</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>是</translation>
    </message>
    <message>
        <source>no</source>
        <translation>否</translation>
    </message>
    <message>
        <source>Creating a backup…</source>
        <translation>正在创建备份…</translation>
    </message>
    <message>
        <source>Backup failed: %1</source>
        <translation>备份失败：%1</translation>
    </message>
    <message>
        <source>Backup %1 created (%2).</source>
        <translation>已创建备份 %1（%2）。</translation>
    </message>
    <message>
        <source>Backup %1 created (%2) without the key files (%3): give a passphrase to include them.</source>
        <translation>已创建备份 %1（%2），但未包含密钥文件（%3）：提供口令即可包含它们。</translation>
    </message>
    <message>
        <source>Verifying %1…</source>
        <translation>正在校验 %1…</translation>
    </message>
    <message>
        <source>Damaged: %1</source>
        <translation>已损坏：%1</translation>
    </message>
    <message>
        <source>%1 is intact: every member matches.</source>
        <translation>%1 完好：所有成员均一致。</translation>
    </message>
    <message>
        <source>%1 is intact; the sealed key files were not opened (no passphrase).</source>
        <translation>%1 完好；未打开加密的密钥文件（未提供口令）。</translation>
    </message>
    <message>
        <source>Choose the folder to restore into.</source>
        <translation>请选择要恢复到的文件夹。</translation>
    </message>
    <message>
        <source>The running server uses %1: restore into another folder, then start from it.</source>
        <translation>正在运行的服务器正在使用 %1：请恢复到其他文件夹，然后从该文件夹启动。</translation>
    </message>
    <message>
        <source>Restore over a folder?</source>
        <translation>恢复到已有文件夹？</translation>
    </message>
    <message>
        <source>%1 is not empty. Move it aside (renamed with .before-restore and the time) and restore there?</source>
        <translation>%1 不为空。要将其移到一旁（重命名为 .before-restore 加时间）并恢复到此处吗？</translation>
    </message>
    <message>
        <source>Restoring %1…</source>
        <translation>正在恢复 %1…</translation>
    </message>
    <message>
        <source>Not restored: %1</source>
        <translation>未恢复：%1</translation>
    </message>
    <message>
        <source>Restored into %1; choose it as the config folder in the Server panel to run from it.</source>
        <translation>已恢复到 %1；在服务器面板中将其选为配置文件夹即可从中运行。</translation>
    </message>
    <message>
        <source>The folder that was there is now %1.</source>
        <translation>原来的文件夹现在是 %1。</translation>
    </message>
    <message>
        <source>Schedule saved; the server follows it after a restart.</source>
        <translation>定时设置已保存；服务器重启后按此执行。</translation>
    </message>
    <message>
        <source>Schedule saved.</source>
        <translation>定时设置已保存。</translation>
    </message>
    <message>
        <source>Backup schedule saved to server.conf</source>
        <translation>备份计划已保存到 server.conf</translation>
    </message>
</context>
<context>
    <name>smartbot::gui::CertificatesPanel</name>
    <message>
        <source>Choose the certificate</source>
        <translation>选择证书</translation>
    </message>
    <message>
        <source>Choose the private key</source>
        <translation>选择私钥</translation>
    </message>
    <message>
        <source>HTTPS</source>
        <translation>HTTPS</translation>
    </message>
    <message>
        <source>Serve HTTPS (TLS 1.2 and later) on the API port instead of plain HTTP</source>
        <translation>在 API 端口上提供 HTTPS（TLS 1.2 及以上），而不是明文 HTTP</translation>
    </message>
    <message>
        <source>Certificate (PEM):</source>
        <translation>证书（PEM）：</translation>
    </message>
    <message>
        <source>Private key (PEM):</source>
        <translation>私钥（PEM）：</translation>
    </message>
    <message>
        <source>e.g. tls/server.crt (relative to the config folder)</source>
        <translation>例如 tls/server.crt（相对于配置文件夹）</translation>
    </message>
    <message>
        <source>e.g. tls/server.key (mode 0600)</source>
        <translation>例如 tls/server.key（权限 0600）</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>What the files hold</source>
        <translation>文件内容</translation>
    </message>
    <message>
        <source>Subject:</source>
        <translation>主体：</translation>
    </message>
    <message>
        <source>Issuer:</source>
        <translation>颁发者：</translation>
    </message>
    <message>
        <source>Names:</source>
        <translation>名称：</translation>
    </message>
    <message>
        <source>Valid:</source>
        <translation>有效期：</translation>
    </message>
    <message>
        <source>Public key:</source>
        <translation>公钥：</translation>
    </message>
    <message>
        <source>SHA-256:</source>
        <translation>SHA-256：</translation>
    </message>
    <message>
        <source>Key file:</source>
        <translation>私钥文件：</translation>
    </message>
    <message>
        <source>Server check:</source>
        <translation>服务器检查：</translation>
    </message>
    <message>
        <source>Generate a self-signed certificate</source>
        <translation>生成自签名证书</translation>
    </message>
    <message>
        <source>Host names and IP addresses clients use to reach this server, separated by commas. Clients must be told to trust this certificate.</source>
        <translation>客户端访问此服务器所用的主机名和 IP 地址，以逗号分隔。需要让客户端明确信任此证书。</translation>
    </message>
    <message>
        <source>Valid for (days):</source>
        <translation>有效天数：</translation>
    </message>
    <message>
        <source>Generate</source>
        <translation>生成</translation>
    </message>
    <message>
        <source>Writes tls/server.crt and tls/server.key (mode 0600) in the config folder and chooses them above.</source>
        <translation>在配置文件夹中写入 tls/server.crt 和 tls/server.key（权限 0600），并在上方选中它们。</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>保存</translation>
    </message>
    <message>
        <source>Restart server</source>
        <translation>重启服务器</translation>
    </message>
    <message>
        <source>—</source>
        <translation>—</translation>
    </message>
    <message>
        <source>%1 (self-signed)</source>
        <translation>%1（自签名）</translation>
    </message>
    <message>
        <source>none: clients that check names will refuse it</source>
        <translation>无：检查名称的客户端会拒绝它</translation>
    </message>
    <message numerus="yes">
        <source>%1 to %2 UTC (%n day(s) left)</source>
        <translation>
            <numerusform>%1 至 %2 UTC（剩余 %n 天）</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>%1, with %n more certificate(s) in the chain</source>
        <translation>
            <numerusform>%1，证书链中另有 %n 个证书</numerusform>
        </translation>
    </message>
    <message>
        <source>mode %1</source>
        <translation>权限 %1</translation>
    </message>
    <message>
        <source>Choose a certificate and its key, or generate a self-signed pair below.</source>
        <translation>请选择证书及其私钥，或在下方生成一对自签名证书。</translation>
    </message>
    <message>
        <source>The server will use these files.</source>
        <translation>服务器将使用这些文件。</translation>
    </message>
    <message>
        <source>The server will use these files, but: %1</source>
        <translation>服务器将使用这些文件，但：%1</translation>
    </message>
    <message>
        <source>Choose a config folder in the Server panel.</source>
        <translation>请在服务器面板中选择配置文件夹。</translation>
    </message>
    <message>
        <source>HTTPS cannot be turned on with these files (see the server check above).</source>
        <translation>无法使用这些文件开启 HTTPS（见上方的服务器检查）。</translation>
    </message>
    <message>
        <source>Not saved yet.</source>
        <translation>尚未保存。</translation>
    </message>
    <message>
        <source>Saved; the running server uses the new TLS settings after a restart.</source>
        <translation>已保存；正在运行的服务器将在重启后使用新的 TLS 设置。</translation>
    </message>
    <message>
        <source>HTTPS is on.</source>
        <translation>HTTPS 已开启。</translation>
    </message>
    <message>
        <source>HTTPS is off: the API is served as plain HTTP.</source>
        <translation>HTTPS 已关闭：API 以明文 HTTP 提供。</translation>
    </message>
    <message>
        <source>Replace the certificate?</source>
        <translation>替换证书？</translation>
    </message>
    <message>
        <source>%1 already exists. Replace it and its key? Clients that trust the old certificate will have to be told to trust the new one.</source>
        <translation>%1 已存在。要替换它及其私钥吗？信任旧证书的客户端需要改为信任新证书。</translation>
    </message>
    <message>
        <source>No certificate generated: %1</source>
        <translation>未生成证书：%1</translation>
    </message>
    <message>
        <source>Self-signed certificate generated; save to use it</source>
        <translation>已生成自签名证书；保存后即可使用</translation>
    </message>
    <message>
        <source>TLS settings saved to server.conf</source>
        <translation>TLS 设置已保存到 server.conf</translation>
    </message>
    <message>
        <source>PEM files (*.pem *.crt *.key);;All files (*)</source>
        <translation>PEM 文件 (*.pem *.crt *.key);;所有文件 (*)</translation>
    </message>
</context>
<context>
    <name>smartbot::gui::CoreMessages</name>
    <message>
        <source>server.conf: [%1] %2 = &apos;%3&apos; must be a whole number from %4 to %5</source>
        <translation>server.conf：[%1] %2 = &apos;%3&apos; 必须是 %4 到 %5 之间的整数</translation>
    </message>
    <message>
        <source>server.conf: [%1] %2 = &apos;%3&apos; must be true or false</source>
        <translation>server.conf：[%1] %2 = &apos;%3&apos; 必须是 true 或 false</translation>
    </message>
    <message>
        <source>server.conf: [network] bind_address = &apos;%1&apos; is not an IP address</source>
        <translation>server.conf：[network] bind_address = &apos;%1&apos; 不是 IP 地址</translation>
    </message>
    <message>
        <source>server.conf: [network] cors_origins: &apos;%1&apos; is not an origin (scheme://host[:port] or *)</source>
        <translation>server.conf：[network] cors_origins：&apos;%1&apos; 不是来源（应为 scheme://host[:port] 或 *）</translation>
    </message>
    <message>
        <source>server.conf: [network] %1: %2</source>
        <translation>server.conf：[network] %1：%2</translation>
    </message>
    <message>
        <source>server.conf: line %1: &apos;%2&apos; is not a setting (key = value), a [section] or a comment (; ...)</source>
        <translation>server.conf：第 %1 行：&apos;%2&apos; 既不是设置（key = value），也不是 [节] 或注释（; ...）</translation>
    </message>
    <message>
        <source>server.conf: [network] ssl_enable = true needs both ssl_cert and ssl_key</source>
        <translation>server.conf：[network] ssl_enable = true 需要同时设置 ssl_cert 和 ssl_key</translation>
    </message>
    <message>
        <source>server.conf: [%1] %2 must be %3 (not &apos;%4&apos;)</source>
        <translation>server.conf：[%1] %2 必须是 %3（而不是 &apos;%4&apos;）</translation>
    </message>
    <message>
        <source>ssl_cert %1 holds no PEM certificate</source>
        <translation>ssl_cert %1 中没有 PEM 证书</translation>
    </message>
    <message>
        <source>ssl_key %1 does not match the certificate in ssl_cert %2</source>
        <translation>ssl_key %1 与 ssl_cert %2 中的证书不匹配</translation>
    </message>
    <message>
        <source>ssl_cert %1 expired on %2</source>
        <translation>ssl_cert %1 已于 %2 过期</translation>
    </message>
    <message>
        <source>ssl_cert %1 is not valid until %2</source>
        <translation>ssl_cert %1 要到 %2 才生效</translation>
    </message>
    <message>
        <source>%1 %2 cannot be read: %3</source>
        <translation>%1 %2 无法读取：%3</translation>
    </message>
    <message>
        <source>ssl_key %1 is not a PEM RSA or EC private key (passphrase-protected keys are not supported)</source>
        <translation>ssl_key %1 不是 PEM 格式的 RSA 或 EC 私钥（不支持有口令保护的私钥）</translation>
    </message>
    <message>
        <source>&apos;%1&apos; is neither a host name nor an IP address</source>
        <translation>&apos;%1&apos; 既不是主机名也不是 IP 地址</translation>
    </message>
    <message>
        <source>name at least one host name or IP address for the certificate</source>
        <translation>请为证书至少指定一个主机名或 IP 地址</translation>
    </message>
    <message>
        <source>wrong passphrase</source>
        <translation>口令错误</translation>
    </message>
    <message>
        <source>the manifest was altered (its HMAC does not match)</source>
        <translation>清单已被篡改（其 HMAC 不匹配）</translation>
    </message>
    <message>
        <source>%1 is not a SmartBot backup (%2)</source>
        <translation>%1 不是 SmartBot 备份（%2）</translation>
    </message>
    <message>
        <source>this backup&apos;s secrets are sealed with a passphrase: give it to restore</source>
        <translation>此备份中的密钥已用口令加密：恢复时请提供口令</translation>
    </message>
    <message>
        <source>%1 is not empty; restore into a new folder, or force (the folder is then moved aside first)</source>
        <translation>%1 不为空；请恢复到新文件夹，或强制恢复（原文件夹会先被移到一旁）</translation>
    </message>
    <message>
        <source>the config folder holds secrets (%1): give a passphrase to seal them into the backup, or leave them out explicitly</source>
        <translation>配置文件夹中有密钥文件（%1）：请提供口令以将其加密后放入备份，或明确选择不包含它们</translation>
    </message>
    <message>
        <source>a backup is running</source>
        <translation>已有备份正在进行</translation>
    </message>
    <message>
        <source>cannot listen on %1: %2</source>
        <translation>无法在 %1 上监听：%2</translation>
    </message>
    <message>
        <source>the server is not running</source>
        <translation>服务器未运行</translation>
    </message>
    <message>
        <source>model folder %1 does not exist or is not a folder</source>
        <translation>模型文件夹 %1 不存在或不是文件夹</translation>
    </message>
</context>
<context>
    <name>smartbot::gui::DashboardPanel</name>
    <message>
        <source>Requests per second</source>
        <translation>每秒请求数</translation>
    </message>
    <message>
        <source>requests/s</source>
        <translation>请求/秒</translation>
    </message>
    <message>
        <source>Latency (ms)</source>
        <translation>延迟（毫秒）</translation>
    </message>
    <message>
        <source>request p50</source>
        <translation>请求 p50</translation>
    </message>
    <message>
        <source>request p99</source>
        <translation>请求 p99</translation>
    </message>
    <message>
        <source>first token p50</source>
        <translation>首词元 p50</translation>
    </message>
    <message>
        <source>Generated tokens per second</source>
        <translation>每秒生成词元数</translation>
    </message>
    <message>
        <source>tokens/s</source>
        <translation>词元/秒</translation>
    </message>
    <message>
        <source>Streams and queue</source>
        <translation>生成与排队</translation>
    </message>
    <message>
        <source>running</source>
        <translation>生成中</translation>
    </message>
    <message>
        <source>queued</source>
        <translation>排队中</translation>
    </message>
    <message>
        <source>KV cache in use (MiB)</source>
        <translation>KV 缓存占用（MiB）</translation>
    </message>
    <message>
        <source>sequences + prefix cache</source>
        <translation>序列 + 前缀缓存</translation>
    </message>
    <message>
        <source>Now: %1 requests/s, %2 tokens/s, %3 running, %4 queued, KV cache %5 of %6 MiB</source>
        <translation>当前：%1 请求/秒，%2 词元/秒，%3 个生成中，%4 个排队，KV 缓存 %5 / %6 MiB</translation>
    </message>
    <message>
        <source>seconds</source>
        <translation>秒</translation>
    </message>
    <message>
        <source>Collecting the first figures…</source>
        <translation>正在收集首批数据…</translation>
    </message>
</context>
<context>
    <name>smartbot::gui::KeysPanel</name>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>Prefix</source>
        <translation>前缀</translation>
    </message>
    <message>
        <source>Scope</source>
        <translation>权限范围</translation>
    </message>
    <message>
        <source>Allowed from</source>
        <translation>允许来源</translation>
    </message>
    <message>
        <source>Limits</source>
        <translation>限额</translation>
    </message>
    <message>
        <source>Created</source>
        <translation>创建时间</translation>
    </message>
    <message>
        <source>Last used</source>
        <translation>最近使用</translation>
    </message>
    <message>
        <source>Expires</source>
        <translation>到期时间</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Key copied to the clipboard</source>
        <translation>密钥已复制到剪贴板</translation>
    </message>
    <message>
        <source>Cannot read the keys: %1</source>
        <translation>无法读取密钥：%1</translation>
    </message>
    <message>
        <source>default</source>
        <translation>默认</translation>
    </message>
    <message>
        <source>any address</source>
        <translation>任意地址</translation>
    </message>
    <message>
        <source>%1 req/min, %2 tokens/min</source>
        <translation>%1 次请求/分钟，%2 个词元/分钟</translation>
    </message>
    <message>
        <source>never</source>
        <translation>永不</translation>
    </message>
    <message>
        <source>revoked</source>
        <translation>已吊销</translation>
    </message>
    <message>
        <source>rotated, valid until %1</source>
        <translation>已轮换，有效期至 %1</translation>
    </message>
    <message>
        <source>expired</source>
        <translation>已过期</translation>
    </message>
    <message>
        <source>active, rotation due</source>
        <translation>有效，需要轮换</translation>
    </message>
    <message>
        <source>active</source>
        <translation>有效</translation>
    </message>
    <message>
        <source>Key not created: %1</source>
        <translation>未创建密钥：%1</translation>
    </message>
    <message>
        <source>New key &quot;%1&quot;: copy it now, it is not shown again.</source>
        <translation>新密钥“%1”：请立即复制，之后不会再显示。</translation>
    </message>
    <message>
        <source>Key not revoked: %1</source>
        <translation>未吊销密钥：%1</translation>
    </message>
    <message>
        <source>Key %1 revoked</source>
        <translation>密钥 %1 已吊销</translation>
    </message>
    <message>
        <source>Key not rotated: %1</source>
        <translation>未轮换密钥：%1</translation>
    </message>
    <message>
        <source>Key %1 replaced by a new one; the old key stays valid for %2 hours. Copy the new key now, it is not shown again.</source>
        <translation>密钥 %1 已被新密钥替换；旧密钥在 %2 小时内仍然有效。请立即复制新密钥，之后不会再显示。</translation>
    </message>
    <message>
        <source>Key %1 created</source>
        <translation>密钥 %1 已创建</translation>
    </message>
    <message>
        <source>Start the server to manage its API keys.</source>
        <translation>启动服务器后即可管理其 API 密钥。</translation>
    </message>
    <message>
        <source>Filter keys</source>
        <translation>筛选密钥</translation>
    </message>
    <message>
        <source>Revoke</source>
        <translation>吊销</translation>
    </message>
    <message>
        <source>Rotate</source>
        <translation>轮换</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>名称：</translation>
    </message>
    <message>
        <source>Scope:</source>
        <translation>权限范围：</translation>
    </message>
    <message>
        <source>Expires after (days):</source>
        <translation>有效期（天）：</translation>
    </message>
    <message>
        <source>Allowed from:</source>
        <translation>允许来源：</translation>
    </message>
    <message>
        <source>Any address; or e.g. 192.168.1.0/24, 10.0.0.5</source>
        <translation>任意地址；或例如 192.168.1.0/24, 10.0.0.5</translation>
    </message>
    <message>
        <source>Create key</source>
        <translation>创建密钥</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <source>New key</source>
        <translation>新建密钥</translation>
    </message>
    <message>
        <source>never</source>
        <comment>not used yet</comment>
        <translation>从未</translation>
    </message>
</context>
<context>
    <name>smartbot::gui::LogPanel</name>
    <message>
        <source>Follow new lines</source>
        <translation>跟随最新日志</translation>
    </message>
    <message>
        <source>Clear</source>
        <translation>清空</translation>
    </message>
    <message>
        <source>Cannot write %1: %2</source>
        <translation>无法写入 %1：%2</translation>
    </message>
    <message>
        <source>Log exported to %1</source>
        <translation>日志已导出到 %1</translation>
    </message>
    <message>
        <source>Export the log</source>
        <translation>导出日志</translation>
    </message>
    <message>
        <source>Log files (*.log *.txt)</source>
        <translation>日志文件 (*.log *.txt)</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>导出…</translation>
    </message>
    <message>
        <source>Search the log</source>
        <translation>搜索日志</translation>
    </message>
    <message>
        <source>All levels</source>
        <translation>所有级别</translation>
    </message>
    <message>
        <source>Warnings and errors</source>
        <translation>警告和错误</translation>
    </message>
    <message>
        <source>Errors only</source>
        <translation>仅错误</translation>
    </message>
    <message>
        <source>Open log folder</source>
        <translation>打开日志文件夹</translation>
    </message>
    <message>
        <source>No log file: [logging] dir = none, or no config folder</source>
        <translation>没有日志文件：[logging] dir = none，或未选择配置文件夹</translation>
    </message>
</context>
<context>
    <name>smartbot::gui::MainWindow</name>
    <message>
        <source>Server</source>
        <translation>服务器</translation>
    </message>
    <message>
        <source>Logs</source>
        <translation>日志</translation>
    </message>
    <message>
        <source>SmartBot</source>
        <translation>SmartBot</translation>
    </message>
    <message>
        <source>Keys</source>
        <translation>密钥</translation>
    </message>
    <message>
        <source>Tokens</source>
        <translation>令牌</translation>
    </message>
    <message>
        <source>Audit</source>
        <translation>审计</translation>
    </message>
    <message>
        <source>Show SmartBot</source>
        <translation>显示 SmartBot</translation>
    </message>
    <message>
        <source>Stop the server and quit</source>
        <translation>停止服务器并退出</translation>
    </message>
    <message>
        <source>The server is running and serving clients. Stop it and quit?</source>
        <translation>服务器正在运行并为客户端提供服务。要停止它并退出吗？</translation>
    </message>
    <message>
        <source>Keep running in the tray</source>
        <translation>在系统托盘中继续运行</translation>
    </message>
    <message>
        <source>The server keeps running; the tray icon brings the window back.</source>
        <translation>服务器继续运行；点击托盘图标可重新打开窗口。</translation>
    </message>
    <message>
        <source>Playground</source>
        <translation>试用</translation>
    </message>
    <message>
        <source>Dashboard</source>
        <translation>仪表盘</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>文件(&amp;F)</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>退出(&amp;Q)</translation>
    </message>
    <message>
        <source>&amp;Language</source>
        <translation>语言(&amp;L)</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>帮助(&amp;H)</translation>
    </message>
    <message>
        <source>&amp;About SmartBot</source>
        <translation>关于 SmartBot(&amp;A)</translation>
    </message>
    <message>
        <source>SmartBot %1: a private chat service with its desktop console.

Qt %2
Engine: %3</source>
        <translation>SmartBot %1：私有聊天服务及其桌面控制台。

Qt %2
引擎：%3</translation>
    </message>
    <message>
        <source>About SmartBot</source>
        <translation>关于 SmartBot</translation>
    </message>
    <message>
        <source>Network</source>
        <translation>网络</translation>
    </message>
    <message>
        <source>Certificates</source>
        <translation>证书</translation>
    </message>
    <message>
        <source>Models</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Backups</source>
        <translation>备份</translation>
    </message>
    <message>
        <source>&amp;Usage</source>
        <translation>使用说明(&amp;U)</translation>
    </message>
</context>
<context>
    <name>smartbot::gui::ModelsPanel</name>
    <message>
        <source>Name</source>
        <translation>名称</translation>
    </message>
    <message>
        <source>In use</source>
        <translation>使用情况</translation>
    </message>
    <message>
        <source>Architecture</source>
        <translation>架构</translation>
    </message>
    <message>
        <source>Parameters</source>
        <translation>参数量</translation>
    </message>
    <message>
        <source>Weights</source>
        <translation>权重</translation>
    </message>
    <message>
        <source>Context</source>
        <translation>上下文</translation>
    </message>
    <message>
        <source>On disk</source>
        <translation>磁盘占用</translation>
    </message>
    <message>
        <source>Chat template</source>
        <translation>对话模板</translation>
    </message>
    <message>
        <source>Folder</source>
        <translation>文件夹</translation>
    </message>
    <message>
        <source>Model being served</source>
        <translation>正在服务的模型</translation>
    </message>
    <message>
        <source>State:</source>
        <translation>状态：</translation>
    </message>
    <message>
        <source>Runs on:</source>
        <translation>运行于：</translation>
    </message>
    <message>
        <source>Memory:</source>
        <translation>内存：</translation>
    </message>
    <message>
        <source>Unload</source>
        <translation>卸载</translation>
    </message>
    <message>
        <source>Frees the model&apos;s memory; chat requests answer 503 until a model is loaded.</source>
        <translation>释放模型占用的内存；在加载模型之前，聊天请求将返回 503。</translation>
    </message>
    <message>
        <source>Models</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Rescan</source>
        <translation>重新扫描</translation>
    </message>
    <message>
        <source>Compute dtype:</source>
        <translation>计算精度：</translation>
    </message>
    <message>
        <source>auto: bfloat16 on CUDA; on the CPU bfloat16 for bfloat16 weights when the CPU computes in bfloat16 natively, else float32. float16 needs CUDA.</source>
        <translation>auto：CUDA 上使用 bfloat16；CPU 上当权重为 bfloat16 且 CPU 原生支持 bfloat16 运算时使用 bfloat16，否则使用 float32。float16 需要 CUDA。</translation>
    </message>
    <message>
        <source>Load now</source>
        <translation>立即加载</translation>
    </message>
    <message>
        <source>Loads the chosen model into the running server in place of the current one (requests being answered end). Not saved.</source>
        <translation>将所选模型加载到正在运行的服务器中，替换当前模型（正在处理的请求将结束）。不会保存到配置。</translation>
    </message>
    <message>
        <source>Load at start</source>
        <translation>启动时加载</translation>
    </message>
    <message>
        <source>Saves the chosen model and dtype as [model] path and dtype in server.conf.</source>
        <translation>将所选模型和精度保存为 server.conf 中 [model] 的 path 和 dtype。</translation>
    </message>
    <message>
        <source>No model folders: set [model] folders in server.conf.</source>
        <translation>没有模型文件夹：请在 server.conf 中设置 [model] folders。</translation>
    </message>
    <message>
        <source>Models in: %1</source>
        <translation>模型位于：%1</translation>
    </message>
    <message>
        <source>loaded</source>
        <translation>已加载</translation>
    </message>
    <message>
        <source>at start</source>
        <translation>启动时加载</translation>
    </message>
    <message>
        <source>cannot be loaded: %1</source>
        <translation>无法加载：%1</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>有</translation>
    </message>
    <message>
        <source>no (plain prompts)</source>
        <translation>无（使用纯文本提示）</translation>
    </message>
    <message>
        <source>At start: no model ([model] path = none).</source>
        <translation>启动时：不加载模型（[model] path = none）。</translation>
    </message>
    <message>
        <source>At start: the demo model (no [model] path in server.conf).</source>
        <translation>启动时：内置演示模型（server.conf 中未设置 [model] path）。</translation>
    </message>
    <message>
        <source>At start: %1 (server.conf), dtype %2.</source>
        <translation>启动时：%1（server.conf），精度 %2。</translation>
    </message>
    <message>
        <source>The server is stopped: start it to load a model.</source>
        <translation>服务器已停止：启动后即可加载模型。</translation>
    </message>
    <message>
        <source>%1: loading…</source>
        <translation>%1：正在加载…</translation>
    </message>
    <message>
        <source>%1: ready</source>
        <translation>%1：就绪</translation>
    </message>
    <message>
        <source>%1: failed to load: %2</source>
        <translation>%1：加载失败：%2</translation>
    </message>
    <message>
        <source>No model loaded: chat requests answer 503.</source>
        <translation>未加载模型：聊天请求将返回 503。</translation>
    </message>
    <message>
        <source>%1, %2; %3 parameters; context %4 tokens; loaded in %5 ms</source>
        <translation>%1，%2；%3 参数；上下文 %4 个词元；加载用时 %5 毫秒</translation>
    </message>
    <message numerus="yes">
        <source>weights %1; KV cache %2 of %3 in use; %n request(s) in flight; process %4 resident</source>
        <translation>
            <numerusform>权重 %1；KV 缓存已用 %2 / %3；%n 个请求处理中；进程常驻内存 %4</numerusform>
        </translation>
    </message>
    <message>
        <source>—</source>
        <translation>—</translation>
    </message>
    <message>
        <source>process %1 resident</source>
        <translation>进程常驻内存 %1</translation>
    </message>
    <message>
        <source>Loading %1…</source>
        <translation>正在加载 %1…</translation>
    </message>
    <message>
        <source>Model unloaded</source>
        <translation>模型已卸载</translation>
    </message>
    <message>
        <source>%1 will be loaded at start</source>
        <translation>启动时将加载 %1</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Memory</source>
        <translation>内存</translation>
    </message>
    <message>
        <source>Requests</source>
        <translation>请求数</translation>
    </message>
    <message>
        <source>Kept</source>
        <translation>保留</translation>
    </message>
    <message>
        <source>Models in memory</source>
        <translation>内存中的模型</translation>
    </message>
    <message>
        <source>Frees the chosen model&apos;s memory once its requests have finished; requests naming it later load it again when it is in the folders.</source>
        <translation>在所选模型的请求完成后释放其内存；之后指定它的请求会在它位于模型文件夹中时重新加载它。</translation>
    </message>
    <message>
        <source>Load beside</source>
        <translation>并行加载</translation>
    </message>
    <message>
        <source>Loads the chosen model under its name beside the one being served, and keeps it loaded: requests naming it are answered by it.</source>
        <translation>以其名称在当前服务的模型之外加载所选模型并保持加载：指定它的请求由它回答。</translation>
    </message>
    <message>
        <source>loading %1%</source>
        <translation>加载中 %1%</translation>
    </message>
    <message>
        <source>ready</source>
        <translation>就绪</translation>
    </message>
    <message>
        <source>failed: %1</source>
        <translation>失败：%1</translation>
    </message>
    <message>
        <source>not loaded</source>
        <translation>未加载</translation>
    </message>
    <message>
        <source> (new version loading)</source>
        <translation>（新版本加载中）</translation>
    </message>
    <message>
        <source> (default)</source>
        <translation>（默认）</translation>
    </message>
    <message numerus="yes">
        <source>%n s more if idle</source>
        <translation>
            <numerusform>空闲时再保留 %n 秒</numerusform>
        </translation>
    </message>
    <message>
        <source>until unloaded</source>
        <translation>直到卸载</translation>
    </message>
    <message>
        <source>Loading %1 beside the model being served…</source>
        <translation>正在当前服务的模型之外加载 %1…</translation>
    </message>
    <message>
        <source>%1 unloaded</source>
        <translation>%1 已卸载</translation>
    </message>
    <message>
        <source>%1 is the name of the model being served: use Load now to replace it</source>
        <translation>%1 是正在服务的模型的名称：请用“立即加载”替换它</translation>
    </message>
</context>
<context>
    <name>smartbot::gui::NetworkPanel</name>
    <message>
        <source>Listening</source>
        <translation>监听</translation>
    </message>
    <message>
        <source>Who may connect</source>
        <translation>允许谁连接</translation>
    </message>
    <message>
        <source>Request sizes and timeouts</source>
        <translation>请求大小与超时</translation>
    </message>
    <message>
        <source>Connections and queue</source>
        <translation>连接与队列</translation>
    </message>
    <message>
        <source>Rate limits</source>
        <translation>速率限制</translation>
    </message>
    <message>
        <source>Bind address:</source>
        <translation>绑定地址：</translation>
    </message>
    <message>
        <source>127.0.0.1: this machine only; 0.0.0.0: every IPv4 interface; :: IPv6 too.</source>
        <translation>127.0.0.1：仅限本机；0.0.0.0：所有 IPv4 接口；::：同时包括 IPv6。</translation>
    </message>
    <message>
        <source>Port:</source>
        <translation>端口：</translation>
    </message>
    <message>
        <source>TCP port of the HTTP API (1-65535).</source>
        <translation>HTTP API 的 TCP 端口（1-65535）。</translation>
    </message>
    <message>
        <source>Allow list:</source>
        <translation>允许列表：</translation>
    </message>
    <message>
        <source>Addresses or CIDR subnets allowed to connect, separated by commas, e.g. 192.168.1.0/24, 10.0.0.5. Empty: everyone. Others get 403.</source>
        <translation>允许连接的地址或 CIDR 子网，以逗号分隔，例如 192.168.1.0/24, 10.0.0.5。留空：允许所有人。其他地址将收到 403。</translation>
    </message>
    <message>
        <source>Trusted proxies:</source>
        <translation>受信任的代理：</translation>
    </message>
    <message>
        <source>Reverse proxies whose X-Forwarded-For header is believed (addresses or subnets).</source>
        <translation>其 X-Forwarded-For 请求头可信的反向代理（地址或子网）。</translation>
    </message>
    <message>
        <source>CORS origins:</source>
        <translation>CORS 来源：</translation>
    </message>
    <message>
        <source>Web pages (scheme://host[:port], separated by commas; * = any) whose scripts may call the API. Empty: none.</source>
        <translation>允许其脚本调用 API 的网页来源（scheme://host[:port]，以逗号分隔；* 表示任意）。留空：不允许。</translation>
    </message>
    <message>
        <source>Largest body (bytes):</source>
        <translation>最大请求体（字节）：</translation>
    </message>
    <message>
        <source>Larger request bodies get 413.</source>
        <translation>更大的请求体将收到 413。</translation>
    </message>
    <message>
        <source>Largest head (bytes):</source>
        <translation>最大请求头（字节）：</translation>
    </message>
    <message>
        <source>Request line and headers; larger ones get 431.</source>
        <translation>请求行和请求头；更大的将收到 431。</translation>
    </message>
    <message>
        <source>Request timeout (s):</source>
        <translation>请求超时（秒）：</translation>
    </message>
    <message>
        <source>Time to send one whole request once started (408 after it); also bounds the TLS handshake.</source>
        <translation>开始发送后传完整个请求的时限（超时返回 408）；同时限制 TLS 握手时间。</translation>
    </message>
    <message>
        <source>Idle timeout (s):</source>
        <translation>空闲超时（秒）：</translation>
    </message>
    <message>
        <source>A keep-alive connection with no request in progress is closed after this.</source>
        <translation>没有进行中请求的长连接在此时间后关闭。</translation>
    </message>
    <message>
        <source>First byte timeout (s):</source>
        <translation>首字节超时（秒）：</translation>
    </message>
    <message>
        <source>A new connection that stays silent this long is closed.</source>
        <translation>新连接在此时间内没有发送数据即被关闭。</translation>
    </message>
    <message>
        <source>Drain timeout (s):</source>
        <translation>排空超时（秒）：</translation>
    </message>
    <message>
        <source>A graceful stop waits at most this long for requests in flight.</source>
        <translation>平滑停止时最多等待进行中的请求这么长时间。</translation>
    </message>
    <message>
        <source>Connections:</source>
        <translation>连接数：</translation>
    </message>
    <message>
        <source>Most connections open at once; 0 = from the open-file limit (at most 4096).</source>
        <translation>同时打开的最大连接数；0 表示按打开文件数限制决定（最多 4096）。</translation>
    </message>
    <message>
        <source>Per address:</source>
        <translation>每个地址：</translation>
    </message>
    <message>
        <source>Most connections from one client address (an IPv6 /64 is one); 0 = a quarter of the above.</source>
        <translation>单个客户端地址的最大连接数（一个 IPv6 /64 计为一个地址）；0 表示上面数值的四分之一。</translation>
    </message>
    <message>
        <source>Queue:</source>
        <translation>队列：</translation>
    </message>
    <message>
        <source>Chat requests waiting for the model; more get 503 with Retry-After.</source>
        <translation>等待模型处理的聊天请求数；超出的请求将收到带 Retry-After 的 503。</translation>
    </message>
    <message>
        <source>Batch size:</source>
        <translation>批大小：</translation>
    </message>
    <message>
        <source>Sequences generated together (continuous batching).</source>
        <translation>一起生成的序列数（连续批处理）。</translation>
    </message>
    <message>
        <source>Requests per minute:</source>
        <translation>每分钟请求数：</translation>
    </message>
    <message>
        <source>For each API key or token subject; 0 = no limit. Over it: 429.</source>
        <translation>按每个 API 密钥或令牌主体计；0 表示不限制。超出时返回 429。</translation>
    </message>
    <message>
        <source>Tokens per minute:</source>
        <translation>每分钟词元数：</translation>
    </message>
    <message>
        <source>Prompt and generated tokens for each key or subject; 0 = no limit.</source>
        <translation>每个密钥或主体的提示词元与生成词元；0 表示不限制。</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>保存</translation>
    </message>
    <message>
        <source>Revert</source>
        <translation>还原</translation>
    </message>
    <message>
        <source>Restart server</source>
        <translation>重启服务器</translation>
    </message>
    <message>
        <source>Stops the server and starts it again with the saved settings.</source>
        <translation>停止服务器并使用已保存的设置重新启动。</translation>
    </message>
    <message>
        <source>Choose a config folder in the Server panel.</source>
        <translation>请在服务器面板中选择配置文件夹。</translation>
    </message>
    <message>
        <source>[network] and [limits] of %1. Values are checked as you type, by the same rules the server uses at start; they take effect when the server (re)starts.</source>
        <translation>%1 中的 [network] 和 [limits]。输入时即按服务器启动时的同一规则检查；服务器（重新）启动后生效。</translation>
    </message>
    <message>
        <source>Not saved yet.</source>
        <translation>尚未保存。</translation>
    </message>
    <message>
        <source>Values marked * are saved; the running server still uses the old ones until it restarts.</source>
        <translation>标有 * 的值已保存；正在运行的服务器在重启前仍使用旧值。</translation>
    </message>
    <message>
        <source>Saved values are in effect.</source>
        <translation>已保存的值正在生效。</translation>
    </message>
    <message>
        <source>server.conf saved</source>
        <translation>server.conf 已保存</translation>
    </message>
</context>
<context>
    <name>smartbot::gui::PlaygroundPanel</name>
    <message>
        <source>curl command copied to the clipboard</source>
        <translation>curl 命令已复制到剪贴板</translation>
    </message>
    <message>
        <source>No token for the playground: %1</source>
        <translation>无法为试用面板签发令牌：%1</translation>
    </message>
    <message>
        <source>[stopped]</source>
        <translation>[已停止]</translation>
    </message>
    <message>
        <source>[error %1: %2]</source>
        <translation>[错误 %1：%2]</translation>
    </message>
    <message>
        <source>Start the server and wait for its model to be ready to try it here.</source>
        <translation>启动服务器并等待模型就绪后即可在此试用。</translation>
    </message>
    <message>
        <source>Model:</source>
        <translation>模型：</translation>
    </message>
    <message>
        <source>Max tokens:</source>
        <translation>最大词元数：</translation>
    </message>
    <message>
        <source>Temperature:</source>
        <translation>温度：</translation>
    </message>
    <message>
        <source>Your message, e.g. Once upon a time</source>
        <translation>输入消息，例如 Once upon a time</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>发送</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>停止</translation>
    </message>
    <message>
        <source>Reply (streamed):</source>
        <translation>回复（流式）：</translation>
    </message>
    <message>
        <source>The same request with curl (TOKEN: a token from the Tokens panel):</source>
        <translation>用 curl 发送同样的请求（TOKEN：令牌面板中签发的令牌）：</translation>
    </message>
    <message>
        <source>Copy curl</source>
        <translation>复制 curl 命令</translation>
    </message>
</context>
<context>
    <name>smartbot::gui::ProvidersGroup</name>
    <message>
        <source>Provider</source>
        <translation>服务商</translation>
    </message>
    <message>
        <source>Address</source>
        <translation>地址</translation>
    </message>
    <message>
        <source>Models</source>
        <translation>模型</translation>
    </message>
    <message>
        <source>Platform key</source>
        <translation>平台密钥</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>not set</source>
        <translation>未设置</translation>
    </message>
    <message>
        <source>set %1</source>
        <translation>设置于 %1</translation>
    </message>
    <message>
        <source>rotation due</source>
        <translation>需要轮换</translation>
    </message>
    <message>
        <source>not loaded (restart the server)</source>
        <translation>未加载（请重启服务器）</translation>
    </message>
    <message>
        <source>server stopped</source>
        <translation>服务器已停止</translation>
    </message>
    <message>
        <source>ready</source>
        <translation>就绪</translation>
    </message>
    <message>
        <source>circuit open</source>
        <translation>熔断中</translation>
    </message>
    <message>
        <source>trying again</source>
        <translation>正在重试</translation>
    </message>
    <message numerus="yes">
        <source>%n in flight</source>
        <translation>
            <numerusform>%n 个请求处理中</numerusform>
        </translation>
    </message>
    <message>
        <source>unchanged (type a new key to rotate it)</source>
        <translation>不变（输入新密钥即可轮换）</translation>
    </message>
    <message>
        <source>Type the platform key of %1: it is needed to reach the provider.</source>
        <translation>请输入 %1 的平台密钥：访问该服务商需要它。</translation>
    </message>
    <message>
        <source>Saved %1 in server.conf. The server uses it from its next start.</source>
        <translation>已将 %1 保存到 server.conf。服务器下次启动时生效。</translation>
    </message>
    <message>
        <source>Saved %1 in server.conf and its key in %2. The server uses them from its next start.</source>
        <translation>已将 %1 保存到 server.conf，其密钥保存在 %2。服务器下次启动时生效。</translation>
    </message>
    <message>
        <source>Provider %1 saved</source>
        <translation>服务商 %1 已保存</translation>
    </message>
    <message>
        <source>Type the platform key to test with.</source>
        <translation>请输入用于测试的平台密钥。</translation>
    </message>
    <message>
        <source>Asking %1 for its models…</source>
        <translation>正在向 %1 查询模型列表…</translation>
    </message>
    <message numerus="yes">
        <source>Connected: the provider lists %n model(s): %1</source>
        <translation>
            <numerusform>已连接：服务商列出 %n 个模型：%1</numerusform>
        </translation>
    </message>
    <message>
        <source>Not connected: %1</source>
        <translation>未连接：%1</translation>
    </message>
    <message>
        <source>Upstream providers</source>
        <translation>上游服务商</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>名称：</translation>
    </message>
    <message>
        <source>Address:</source>
        <translation>地址：</translation>
    </message>
    <message>
        <source>Models:</source>
        <translation>模型：</translation>
    </message>
    <message>
        <source>Platform key:</source>
        <translation>平台密钥：</translation>
    </message>
    <message>
        <source>e.g. openai (clients ask for openai/MODEL)</source>
        <translation>例如 openai（客户端请求 openai/模型名）</translation>
    </message>
    <message>
        <source>https://api.example.com/v1 (several: separated by commas)</source>
        <translation>https://api.example.com/v1（多个地址以逗号分隔）</translation>
    </message>
    <message>
        <source>gpt-4o-mini, … or * for all</source>
        <translation>gpt-4o-mini, …，或 * 表示全部</translation>
    </message>
    <message>
        <source>kept in the OS keychain (without one: providers/NAME.env, mode 600), never in server.conf</source>
        <translation>保存在系统钥匙串中（没有钥匙串时：providers/NAME.env，权限 600），绝不写入 server.conf</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>保存</translation>
    </message>
    <message>
        <source>Test connection</source>
        <translation>测试连接</translation>
    </message>
    <message>
        <source>There is no provider %1 in server.conf.</source>
        <translation>server.conf 中没有服务商 %1。</translation>
    </message>
    <message>
        <source>Remove the provider?</source>
        <translation>删除该服务商？</translation>
    </message>
    <message>
        <source>Remove %1 from server.conf and forget its platform key? Requests for %1/… fail from the server&apos;s next start.</source>
        <translation>从 server.conf 删除 %1 并清除其平台密钥？服务器下次启动后，对 %1/… 的请求将失败。</translation>
    </message>
    <message>
        <source>Removed %1 and its platform key. The server stops using it at its next start.</source>
        <translation>已删除 %1 及其平台密钥。服务器下次启动后不再使用它。</translation>
    </message>
    <message>
        <source>Provider %1 removed</source>
        <translation>已删除服务商 %1</translation>
    </message>
    <message>
        <source>Remove</source>
        <translation>删除</translation>
    </message>
</context>
<context>
    <name>smartbot::gui::ServerPanel</name>
    <message>
        <source>Choose the config folder</source>
        <translation>选择配置文件夹</translation>
    </message>
    <message>
        <source>Choose the model folder</source>
        <translation>选择模型文件夹</translation>
    </message>
    <message>
        <source>Server</source>
        <translation>服务器</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>设置</translation>
    </message>
    <message>
        <source>Status:</source>
        <translation>状态：</translation>
    </message>
    <message>
        <source>Address:</source>
        <translation>地址：</translation>
    </message>
    <message>
        <source>Model:</source>
        <translation>模型：</translation>
    </message>
    <message>
        <source>Port:</source>
        <translation>端口：</translation>
    </message>
    <message>
        <source>Bind address:</source>
        <translation>绑定地址：</translation>
    </message>
    <message>
        <source>Config folder:</source>
        <translation>配置文件夹：</translation>
    </message>
    <message>
        <source>Model folder:</source>
        <translation>模型文件夹：</translation>
    </message>
    <message>
        <source>Any free port</source>
        <translation>任意空闲端口</translation>
    </message>
    <message>
        <source>TCP port of the HTTP API; 0 picks any free port.</source>
        <translation>HTTP API 的 TCP 端口；0 表示自动选择任意空闲端口。</translation>
    </message>
    <message>
        <source>127.0.0.1: this computer only; 0.0.0.0: every network interface.</source>
        <translation>127.0.0.1：仅限本机访问；0.0.0.0：监听所有网络接口。</translation>
    </message>
    <message>
        <source>Folder with server.conf and the keys; created when missing.</source>
        <translation>存放 server.conf 和密钥的文件夹；不存在时会自动创建。</translation>
    </message>
    <message>
        <source>Empty: the [model] path of server.conf, else the demo model</source>
        <translation>留空：使用 server.conf 中 [model] 的路径，未设置时使用内置演示模型</translation>
    </message>
    <message>
        <source>Model folder with config.json, model.safetensors and tokenizer.json.</source>
        <translation>包含 config.json、model.safetensors 和 tokenizer.json 的模型文件夹。</translation>
    </message>
    <message>
        <source>Browse…</source>
        <translation>浏览…</translation>
    </message>
    <message>
        <source>Port, address and folders can be changed while the server is stopped.</source>
        <translation>端口、地址和文件夹只能在服务器停止时修改。</translation>
    </message>
    <message>
        <source>choose a config folder first</source>
        <translation>请先选择配置文件夹</translation>
    </message>
    <message>
        <source>Starting…</source>
        <translation>正在启动…</translation>
    </message>
    <message>
        <source>Stop server</source>
        <translation>停止服务器</translation>
    </message>
    <message>
        <source>Start server</source>
        <translation>启动服务器</translation>
    </message>
    <message>
        <source>Stopped</source>
        <translation>已停止</translation>
    </message>
    <message>
        <source>Failed to start: %1</source>
        <translation>启动失败：%1</translation>
    </message>
    <message>
        <source>Not running</source>
        <translation>未运行</translation>
    </message>
    <message>
        <source>Not loaded</source>
        <translation>未加载</translation>
    </message>
    <message>
        <source>%1: Not loaded</source>
        <translation>%1：未加载</translation>
    </message>
    <message>
        <source>No model configured: chat requests answer 503</source>
        <translation>未配置模型：聊天请求将返回 503</translation>
    </message>
    <message>
        <source>%1: Loading…</source>
        <translation>%1：正在加载…</translation>
    </message>
    <message>
        <source>%1: Ready</source>
        <translation>%1：就绪</translation>
    </message>
    <message>
        <source>%1: Failed: %2</source>
        <translation>%1：加载失败：%2</translation>
    </message>
    <message>
        <source>Server stopped</source>
        <translation>服务器已停止</translation>
    </message>
    <message>
        <source>Server failed to start</source>
        <translation>服务器启动失败</translation>
    </message>
    <message>
        <source>Server running at %1 (loading the model)</source>
        <translation>服务器运行于 %1（正在加载模型）</translation>
    </message>
    <message>
        <source>Server running at %1 (the model failed to load)</source>
        <translation>服务器运行于 %1（模型加载失败）</translation>
    </message>
    <message>
        <source>Server running at %1</source>
        <translation>服务器运行于 %1</translation>
    </message>
    <message>
        <source>Keys:</source>
        <translation>密钥：</translation>
    </message>
    <message>
        <source>Copy admin key</source>
        <translation>复制管理员密钥</translation>
    </message>
    <message>
        <source>Copies the admin key (X-API-Key of the /admin routes) to the clipboard.</source>
        <translation>将管理员密钥（/admin 接口的 X-API-Key）复制到剪贴板。</translation>
    </message>
    <message>
        <source>built without the OS keychain: the key files of the config folder are used</source>
        <translation>构建时未包含系统钥匙串：改用配置文件夹中的密钥文件</translation>
    </message>
    <message>
        <source>Admin key and JWT secret in the OS keychain</source>
        <translation>管理员密钥和 JWT 密钥保存在系统钥匙串中</translation>
    </message>
    <message>
        <source>No OS keychain: secrets are kept in files in the config folder (mode 0600)</source>
        <translation>没有系统钥匙串：密钥保存在配置文件夹中的文件里（权限 0600）</translation>
    </message>
    <message>
        <source>No admin key to copy: it comes from SMARTBOT_ADMIN_KEY, or the server is stopped</source>
        <translation>没有可复制的管理员密钥：它来自 SMARTBOT_ADMIN_KEY，或服务器已停止</translation>
    </message>
    <message>
        <source>Admin key copied to the clipboard</source>
        <translation>管理员密钥已复制到剪贴板</translation>
    </message>
    <message>
        <source>Use this port and address instead of server.conf&apos;s [network] port and bind_address</source>
        <translation>使用此处的端口和地址，而不是 server.conf 中 [network] 的 port 和 bind_address</translation>
    </message>
    <message>
        <source>another SmartBot window (process %1) already runs the config folder %2</source>
        <translation>另一个 SmartBot 窗口（进程 %1）已在运行配置文件夹 %2</translation>
    </message>
    <message>
        <source>Restart</source>
        <translation>重启</translation>
    </message>
    <message>
        <source>Stops the server (requests in flight end) and starts it again with server.conf as it is now.</source>
        <translation>停止服务器（进行中的请求将结束），并按当前的 server.conf 重新启动。</translation>
    </message>
    <message>
        <source>The new signing key could not be stored in the keychain; it is used until the server stops</source>
        <translation>新的签名密钥无法保存到钥匙串；它将一直使用到服务器停止</translation>
    </message>
    <message>
        <source>Drained: every request in flight was answered; the server stopped</source>
        <translation>排空完成：所有进行中的请求都已答复；服务器已停止</translation>
    </message>
    <message>
        <source>Drain time is up: the server stopped with requests still in flight</source>
        <translation>排空时间已到：服务器已停止，仍有请求未完成</translation>
    </message>
    <message>
        <source>Drain and stop</source>
        <translation>排空并停止</translation>
    </message>
    <message>
        <source>Graceful stop: new chat requests get 503, those in flight finish (at most drain_timeout_s), then the server stops.</source>
        <translation>平滑停止：新的聊天请求将收到 503，进行中的请求继续完成（最多 drain_timeout_s），然后服务器停止。</translation>
    </message>
    <message>
        <source>%1 min</source>
        <translation>%1 分钟</translation>
    </message>
    <message>
        <source>%1 h %2 min</source>
        <translation>%1 小时 %2 分钟</translation>
    </message>
    <message numerus="yes">
        <source>Draining: %n request(s) still in flight</source>
        <translation>
            <numerusform>正在排空：仍有 %n 个请求在处理</numerusform>
        </translation>
    </message>
    <message numerus="yes">
        <source>Running for %1; %n request(s) in flight</source>
        <translation>
            <numerusform>已运行 %1；%n 个请求处理中</numerusform>
        </translation>
    </message>
    <message>
        <source>Address %1 copied to the clipboard</source>
        <translation>地址 %1 已复制到剪贴板</translation>
    </message>
    <message>
        <source>Copy address</source>
        <translation>复制地址</translation>
    </message>
</context>
<context>
    <name>smartbot::gui::TokensPanel</name>
    <message>
        <source>User</source>
        <translation>用户</translation>
    </message>
    <message>
        <source>State</source>
        <translation>状态</translation>
    </message>
    <message>
        <source>Expires</source>
        <translation>到期时间</translation>
    </message>
    <message>
        <source>Issued</source>
        <translation>签发时间</translation>
    </message>
    <message>
        <source>Issued by</source>
        <translation>签发者</translation>
    </message>
    <message>
        <source>Token id (jti)</source>
        <translation>令牌 ID (jti)</translation>
    </message>
    <message>
        <source>Token copied to the clipboard</source>
        <translation>令牌已复制到剪贴板</translation>
    </message>
    <message>
        <source>curl command copied to the clipboard</source>
        <translation>curl 命令已复制到剪贴板</translation>
    </message>
    <message>
        <source>Cannot read the tokens: %1</source>
        <translation>无法读取令牌：%1</translation>
    </message>
    <message>
        <source>revoked</source>
        <translation>已吊销</translation>
    </message>
    <message>
        <source>valid</source>
        <translation>有效</translation>
    </message>
    <message>
        <source>Token not issued: %1</source>
        <translation>未签发令牌：%1</translation>
    </message>
    <message>
        <source>Token for &quot;%1&quot;, valid for %2 hours:</source>
        <translation>“%1”的令牌，有效期 %2 小时：</translation>
    </message>
    <message>
        <source>Token issued for &quot;%1&quot; (jti %2)</source>
        <translation>已为“%1”签发令牌（jti %2）</translation>
    </message>
    <message>
        <source>Token not revoked: %1</source>
        <translation>未吊销令牌：%1</translation>
    </message>
    <message>
        <source>Token %1 revoked</source>
        <translation>令牌 %1 已吊销</translation>
    </message>
    <message>
        <source>Start the server to issue and revoke tokens.</source>
        <translation>启动服务器后即可签发和吊销令牌。</translation>
    </message>
    <message>
        <source>Issue a token</source>
        <translation>签发令牌</translation>
    </message>
    <message>
        <source>Username:</source>
        <translation>用户名：</translation>
    </message>
    <message>
        <source>Who the token is for, e.g. alice</source>
        <translation>令牌的使用者，例如 alice</translation>
    </message>
    <message>
        <source>Valid for (hours):</source>
        <translation>有效期（小时）：</translation>
    </message>
    <message>
        <source>Issue token</source>
        <translation>签发令牌</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>复制</translation>
    </message>
    <message>
        <source>Copy curl</source>
        <translation>复制 curl 命令</translation>
    </message>
    <message>
        <source>Tokens still valid</source>
        <translation>仍然有效的令牌</translation>
    </message>
    <message>
        <source>Revoke</source>
        <translation>吊销</translation>
    </message>
    <message>
        <source>Rotate the signing key?</source>
        <translation>轮换签名密钥？</translation>
    </message>
    <message numerus="yes">
        <source>Tokens issued from now on are signed with a new key. Tokens already issued stay valid until they expire (at most %n hour(s)); to end one sooner, revoke it.</source>
        <translation>
            <numerusform>从现在起签发的令牌将使用新密钥签名。已签发的令牌在过期前仍然有效（最多 %n 小时）；如需提前作废，请吊销它。</numerusform>
        </translation>
    </message>
    <message>
        <source>Signing key not rotated: %1</source>
        <translation>未轮换签名密钥：%1</translation>
    </message>
    <message>
        <source>Signing key rotated: new tokens use key %1</source>
        <translation>签名密钥已轮换：新令牌使用密钥 %1</translation>
    </message>
    <message>
        <source>Rotate signing key…</source>
        <translation>轮换签名密钥…</translation>
    </message>
    <message>
        <source>Signs new tokens with a new key; tokens already issued stay valid until they expire.</source>
        <translation>用新密钥签发新令牌；已签发的令牌在过期前仍然有效。</translation>
    </message>
</context>
</TS>
