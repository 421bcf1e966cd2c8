<#
.SYNOPSIS
Rehearses a real Windows container shutdown with the compiled agent and prints a verdict table.

.DESCRIPTION
For each base image (servercore and nanoserver by default) this builds two images from
scripts\rehearse\Dockerfile, both with agent.exe as the ENTRYPOINT in supervisor mode and
scripts\rehearse\agent.yaml (three steps of 1 s, 2 s and 4 s that leave markers in C:\markers):

  setup    (stage setup) built with `agent.exe setup --timeout 60`, which raises the shutdown timeouts
  default  (stage plain) built without it: Windows keeps its default (a few seconds) and may
           end the agent before its steps are done

Each image is started with C:\markers bind-mounted from a host folder, the script waits for the
agent's `ready` record, stops the container with `docker stop -t StopTimeout`, and reads the
agent's JSON log, the markers and the container's exit code. The verdict table goes to the
console and to OutDir\verdict.md; every log stays in OutDir.

Exit code: 0 when every `setup` run completed (all steps finished, `done` logged), 1 when one did
not, 2 when the rehearsal could not run at all (no agent.exe, no Docker in Windows-container mode).
Runs on Windows PowerShell 5.1 and PowerShell 7.

.EXAMPLE
deno task build; .\scripts\rehearse.ps1

.EXAMPLE
.\scripts\rehearse.ps1 -Images mcr.microsoft.com/windows/servercore:ltsc2019 -Isolation hyperv
#>
param(
    # The compiled agent to rehearse (deno task build writes it).
    [string]$AgentExe = (Join-Path $PSScriptRoot '..\dist\agent.exe'),
    # Base images; each is rehearsed in both variants. The tag must suit the host's Windows.
    [string[]]$Images = @(
        'mcr.microsoft.com/windows/servercore:ltsc2022',
        'mcr.microsoft.com/windows/nanoserver:ltsc2022'
    ),
    # Seconds docker stop waits before it kills the container (docker stop -t).
    [int]$StopTimeout = 30,
    # Where the verdict, the logs and the markers go.
    [string]$OutDir = (Join-Path ([IO.Path]::GetTempPath()) 'agent-rehearsal'),
    # docker --isolation (process or hyperv); empty: Docker's default for this host.
    [string]$Isolation = '',
    # Seconds to wait for the agent's `ready` record.
    [int]$ReadyTimeout = 90
)

Set-StrictMode -Version 1.0
$ErrorActionPreference = 'Stop'
$Invariant = [Globalization.CultureInfo]::InvariantCulture
# The steps of scripts\rehearse\agent.yaml, in order.
$Steps = @('one', 'two', 'three')

function Invoke-Docker {
    # Runs docker with these arguments; returns its stdout and stderr lines as text and leaves
    # its exit code in $LASTEXITCODE. Windows PowerShell 5.1 turns each stderr line of a native
    # program into an error record, which 'Stop' would throw on, hence 'Continue' here.
    $ErrorActionPreference = 'Continue'
    & docker @args 2>&1 | ForEach-Object { "$_".TrimEnd([char]13) }
}

function Format-Seconds([double]$Seconds) {
    $Seconds.ToString('0.0', $Invariant)
}

function Read-Records([string[]]$Lines) {
    # The agent's JSON records, each with a UTC `at` taken from the `ts` text (PowerShell 7's
    # ConvertFrom-Json would turn `ts` into a local time).
    foreach ($line in $Lines) {
        if (-not $line.StartsWith('{')) { continue }
        try { $record = $line | ConvertFrom-Json } catch { continue }
        if ($line -notmatch '"ts":"([^"]+)"') { continue }
        $at = [datetime]::Parse($Matches[1], $Invariant, [Globalization.DateTimeStyles]::AdjustToUniversal)
        $record | Add-Member -NotePropertyName at -NotePropertyValue $at
        $record
    }
}

function Invoke-Rehearsal([string]$Image, [string]$Variant) {
    # Builds, starts and stops one container; returns its verdict row.
    $short = (($Image -split '/')[-1] -replace '[^A-Za-z0-9.]+', '-').ToLowerInvariant()
    $name = "agent-rehearsal-$short-$Variant"
    $dir = Join-Path $OutDir $name
    $markers = Join-Path $dir 'markers'
    New-Item -ItemType Directory -Force -Path $markers | Out-Null
    $row = [ordered]@{
        image = $short; variant = $Variant; source = '-'; steps = "0/$($Steps.Count)"
        markers = '-'; held = '-'; stop = '-'; code = '-'; cut = '-'; completed = $false; note = ''
    }
    Write-Host "== $name"

    $target = if ($Variant -eq 'setup') { 'setup' } else { 'plain' } # the Dockerfile's stages
    $build = @(Invoke-Docker build @isolationArgs --build-arg "BASE=$Image" --target $target `
            -t "shutdown-agent-rehearsal:$short-$Variant" $context)
    $buildCode = $LASTEXITCODE
    [IO.File]::WriteAllLines((Join-Path $dir 'build.log'), [string[]]$build)
    if ($buildCode -ne 0) {
        $row.note = 'image build failed (build.log)'
        return $row
    }

    Invoke-Docker rm -f $name | Out-Null
    $run = Invoke-Docker run -d --name $name @isolationArgs `
        --mount "type=bind,source=$markers,target=C:\markers" "shutdown-agent-rehearsal:$short-$Variant"
    if ($LASTEXITCODE -ne 0) {
        $row.note = "docker run failed: $($run -join ' ')"
        return $row
    }

    # Wait for `ready` (or for the container to end without it).
    $clock = [Diagnostics.Stopwatch]::StartNew()
    do {
        Start-Sleep -Milliseconds 500
        $ready = @(Invoke-Docker logs $name | Where-Object { $_ -match '"msg":"ready"' }).Count -gt 0
        $running = (Invoke-Docker inspect -f '{{.State.Running}}' $name) -eq 'true'
    } until ($ready -or -not $running -or $clock.Elapsed.TotalSeconds -gt $ReadyTimeout)
    if ($ready) {
        Start-Sleep -Seconds 2 # let the app and the agent settle, as in a container that ran a while
        $clock = [Diagnostics.Stopwatch]::StartNew()
        Invoke-Docker stop -t $StopTimeout $name | Out-Null
        $row.stop = Format-Seconds $clock.Elapsed.TotalSeconds
    } else {
        Invoke-Docker stop -t 1 $name | Out-Null
        $row.note = "no ready record within $ReadyTimeout s (container.log)"
    }

    $log = @(Invoke-Docker logs $name)
    [IO.File]::WriteAllLines((Join-Path $dir 'container.log'), [string[]]$log)
    $row.code = (Invoke-Docker inspect -f '{{.State.ExitCode}}' $name) -join ''
    Invoke-Docker rm -f $name | Out-Null
    if (-not $ready) { return $row }

    $records = @(Read-Records $log)
    $shutdownEvent = $records | Where-Object { $_.msg -eq 'event' } | Select-Object -First 1
    $done = $records | Where-Object { $_.msg -eq 'done' } | Select-Object -First 1
    $ok = @($records | Where-Object { $_.msg -eq 'step.end' -and $_.outcome -eq 'ok' })
    $row.steps = "$($ok.Count)/$($Steps.Count)"
    if ($shutdownEvent) {
        $row.source = $shutdownEvent.source
        if ($done) {
            $row.held = Format-Seconds ($done.at - $shutdownEvent.at).TotalSeconds
        } else {
            $row.held = 'cut at ' + (Format-Seconds ($records[-1].at - $shutdownEvent.at).TotalSeconds)
        }
        # When each step's .end marker was written, counted from the event.
        $row.markers = ($Steps | ForEach-Object {
                $file = Join-Path $markers "$_.end"
                if (Test-Path -LiteralPath $file) {
                    $written = (Get-Item -LiteralPath $file).LastWriteTimeUtc
                    "$_ +" + (Format-Seconds ($written - $shutdownEvent.at).TotalSeconds)
                } else { "$_ missing" }
            }) -join ', '
    } else {
        $row.note = 'no event record: the agent never saw the shutdown'
    }
    $row.completed = [bool]$done -and $ok.Count -eq $Steps.Count
    $row.cut = 'yes: steps missing'
    if ($row.completed) { $row.cut = 'no' } elseif (-not $done) { $row.cut = 'yes: no done record' }
    return $row
}

# ---------------------------------------------------------------- preflight
$OutDir = $ExecutionContext.SessionState.Path.GetUnresolvedProviderPathFromPSPath($OutDir)
if (-not (Test-Path -LiteralPath $AgentExe -PathType Leaf)) {
    Write-Error "No agent at ${AgentExe}: build it with 'deno task build', or pass -AgentExe." -ErrorAction Continue
    exit 2
}
if (-not (Get-Command docker -ErrorAction SilentlyContinue)) {
    Write-Error 'No docker command: install Docker (Windows containers) first.' -ErrorAction Continue
    exit 2
}
$serverOs = (Invoke-Docker version -f '{{.Server.Os}}') -join ''
if ($LASTEXITCODE -ne 0 -or $serverOs -ne 'windows') {
    Write-Error "Docker must run Windows containers (docker version says: $serverOs)." -ErrorAction Continue
    exit 2
}
$isolationArgs = @()
if ($Isolation) { $isolationArgs = @("--isolation=$Isolation") }

# The build context: agent.exe, the rehearsal's config and Dockerfile, nothing else.
New-Item -ItemType Directory -Force -Path $OutDir | Out-Null
$context = Join-Path $OutDir 'context'
New-Item -ItemType Directory -Force -Path $context | Out-Null
Copy-Item -LiteralPath $AgentExe -Destination (Join-Path $context 'agent.exe') -Force
foreach ($file in @('agent.yaml', 'Dockerfile')) {
    Copy-Item -LiteralPath (Join-Path $PSScriptRoot "rehearse\$file") -Destination $context -Force
}
$version = (& (Join-Path $context 'agent.exe') --version) -join ' '
$sha = (Get-FileHash -Algorithm SHA256 -LiteralPath $AgentExe).Hash.ToLowerInvariant()

# ---------------------------------------------------------------- rehearse
$rows = @()
foreach ($image in $Images) {
    foreach ($variant in @('setup', 'default')) {
        $rows += New-Object PSObject -Property (Invoke-Rehearsal $image $variant)
    }
}

# ---------------------------------------------------------------- verdict
$lines = @(
    '# Windows container rehearsal',
    '',
    "- agent: $version (sha256 $sha)",
    "- host: $([Environment]::OSVersion.VersionString); docker $((Invoke-Docker version -f '{{.Server.Version}}') -join '')",
    "- docker stop -t $StopTimeout; isolation: $(if ($Isolation) { $Isolation } else { 'Docker default' })",
    "- $(Get-Date -Format 'yyyy-MM-dd HH:mm:ss zzz')",
    '',
    '| image | variant | event via | steps ok | step ends (s after event) | handler held (s) | docker stop (s) | exit code | cut short | note |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |'
)
foreach ($r in $rows) {
    $lines += "| $($r.image) | $($r.variant) | $($r.source) | $($r.steps) | $($r.markers) | $($r.held) | $($r.stop) | $($r.code) | $($r.cut) | $($r.note) |"
}
$lines += @(
    '',
    '`setup`: image built with `agent.exe setup --timeout 60`; `default`: without it.',
    '`event via`: console = the console control handler (CTRL_SHUTDOWN_EVENT), window = the hidden',
    'window (WM_QUERYENDSESSION/WM_ENDSESSION). `handler held`: from the `event` record to `done`.',
    '`cut short`: the platform ended the agent before `done`, or a step did not finish.'
)
[IO.File]::WriteAllLines((Join-Path $OutDir 'verdict.md'), [string[]]$lines)
$lines | ForEach-Object { Write-Host $_ }
Write-Host ''
Write-Host "Verdict, logs and markers: $OutDir"

$failed = @($rows | Where-Object { $_.variant -eq 'setup' -and -not $_.completed })
if ($failed.Count -gt 0) {
    Write-Host "FAILED: the setup run did not complete on: $(($failed | ForEach-Object { $_.image }) -join ', ')"
    exit 1
}
exit 0
